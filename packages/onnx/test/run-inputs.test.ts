import { cpu } from '@tsdl/backend-cpu';
import {
  ArgumentError,
  BackendError,
  DTypeError,
  DisposedError,
  ShapeError,
  dispose,
  memory,
  ones,
  setBackend,
  tensor,
  zeros,
} from '@tsdl/tensor';
import { expectAllClose } from '@tsdl/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../src/export/graph-builder';
import { OPSET_RANGE, loadOnnx, supportedOperators } from '../src/index';
import { fixture, fixtureBytes, fixtureInputs } from './fixtures';

/** The OnnxModel API: what it declares, how it takes inputs, and the errors for wrong ones. */

const backend = cpu({ name: 'onnx-run-cpu' });
beforeAll(() => setBackend(backend));

describe('OnnxModel', () => {
  it('declares its inputs and outputs with ONNX types, tsdl dtypes and symbolic dims', () => {
    const model = loadOnnx(fixtureBytes('transformer_dynamic'));
    expect(model.inputs).toEqual([{ name: 'tokens', type: 'int64', dtype: 'int32', shape: ['batch', 12] }]);
    expect(model.outputs).toEqual([{ name: 'logits', type: 'float', dtype: 'float32', shape: ['batch', 2] }]);
    expect(model.opset).toBe(17);
    expect(model.producer).toBe('pytorch 1.13.0');
    model.dispose();
  });

  it('takes inputs by name or in order, and runs any batch size along a symbolic axis', async () => {
    const model = loadOnnx(fixtureBytes('mlp'));
    const f = fixture('mlp');
    const x = fixtureInputs(f).image;
    const byName = model.run({ image: x }).probabilities;
    const byOrder = model.run([x]).probabilities;
    expect(await byOrder.data()).toEqual(await byName.data());
    // The first image alone gives the first row.
    const one = x.slice([0], [1]);
    const single = model.run([one]).probabilities;
    expect(single.shape).toEqual([1, 10]);
    expectAllClose(await single.data(), f.outputs.probabilities.data.slice(0, 10), { atol: 1e-6 });
    dispose([x, byName, byOrder, one, single]);
    model.dispose();
  });

  it('refuses wrong inputs with errors that name the input, leaving memory as it was', () => {
    const model = loadOnnx(fixtureBytes('gru'), { name: 'gru.onnx' });
    const x = zeros([5, 2, 6]);
    const h0 = zeros([1, 2, 10]);
    const xi = zeros([5, 2, 6], 'int32');
    const wrong = zeros([5, 2, 7]);
    const before = memory();
    expect(() => model.run({ x })).toThrow(ArgumentError);
    expect(() => model.run({ x })).toThrow(/run \(gru\.onnx\): missing input 'h0'/);
    expect(() => model.run({ x, h0, h1: h0 })).toThrow(/unknown input 'h1'; the model's inputs are x, h0/);
    expect(() => model.run([x])).toThrow(/got 1 inputs; the model takes 2 \(x, h0\)/);
    expect(() => model.run(x as never)).toThrow(
      /inputs must be an object of tensors by name or an array of tensors, got a Tensor/,
    );
    expect(() => model.run({ x: xi, h0 })).toThrow(DTypeError);
    expect(() => model.run({ x: xi, h0 })).toThrow(
      /input 'x' is float in the model, so it takes a float32 tensor; got int32/,
    );
    expect(() => model.run({ x: wrong, h0 })).toThrow(ShapeError);
    expect(() => model.run({ x: wrong, h0 })).toThrow(
      /input 'x' has shape \[5,2,7\]; the model declares \[5,2,6\] \(dim 2 must be 6\)/,
    );
    expect(memory().numTensors).toBe(before.numTensors);
    dispose([x, h0, xi, wrong]);
    model.dispose();
  });

  it('a symbolic dim must be the same size in every input that names it', () => {
    const b = new GraphBuilder();
    const a = b.input('a', 1, ['n', 3]);
    const c = b.input('c', 1, ['n', 3]);
    b.output(b.node('Add', [a, c], 'sum'), 'y', 1, ['n', 3]);
    const model = loadOnnx(b.encode({ opset: 13, producer: 'test', graphName: 'g' }));
    const x2 = ones([2, 3]);
    const x4 = ones([4, 3]);
    expect(() => model.run([x2, x4])).toThrow(/dim 'n' is 2 in input 'a' but 4 in input 'c'/);
    dispose([x2, x4]);
    model.dispose();
  });

  it('an input on another backend is a BackendError', () => {
    const model = loadOnnx(fixtureBytes('gru'));
    const other = cpu({ name: 'onnx-run-other' });
    const x = zeros([5, 2, 6], 'float32', { backend: other });
    const h0 = zeros([1, 2, 10]);
    expect(() => model.run({ x, h0 })).toThrow(BackendError);
    dispose([x, h0]);
    model.dispose();
  });

  it("outputs are the caller's: an output that is an input or a weight comes back as a new handle", async () => {
    const b = new GraphBuilder();
    const x = b.input('x', 1, [2]);
    const w = b.constant('w', [5, 6], [2]);
    b.output(x, 'same', 1, [2]);
    b.output(w, 'weight', 1, [2]);
    b.output(b.node('Shape', [x], 'x_shape'), 'shape', 7, [1]);
    const model = loadOnnx(b.encode({ opset: 13, producer: 'test', graphName: 'g' }));
    const input = tensor([1, 2]);
    const out = model.run([input]);
    expect(out.same).not.toBe(input);
    expect(out.shape.dtype).toBe('int32');
    expect(Array.from(await out.shape.data())).toEqual([2]);
    dispose(out);
    // The weight and the input survive the caller disposing the outputs.
    expect(Array.from(await input.data())).toEqual([1, 2]);
    const again = model.run([input]);
    expect(Array.from(await again.weight.data())).toEqual([5, 6]);
    dispose([again, input]);
    model.dispose();
  });

  it('a disposed model refuses to run; dispose frees its weights', () => {
    const before = memory();
    const model = loadOnnx(fixtureBytes('cnn'));
    expect(memory().numTensors).toBeGreaterThan(before.numTensors);
    model.dispose();
    model.dispose();
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numBytes).toBe(before.numBytes);
    expect(() => model.run([])).toThrow(DisposedError);
  });

  it('loadOnnx checks its arguments', () => {
    expect(() => loadOnnx(fixtureBytes('gru'), { nmae: 'x' } as never)).toThrow(
      /loadOnnx: unknown option 'nmae'; known: name, backend/,
    );
    expect(() => loadOnnx('model.onnx' as never)).toThrow(/bytes must be a Uint8Array or an ArrayBuffer/);
    // An ArrayBuffer works as well as a Uint8Array.
    const bytes = fixtureBytes('gru');
    loadOnnx(Uint8Array.from(bytes).buffer).dispose();
  });

  it('lists what it supports', () => {
    const ops = supportedOperators();
    for (const op of ['Conv', 'LSTM', 'GRU', 'LayerNormalization', 'Gather', 'Slice', 'Where', 'Erf'])
      expect(ops).toContain(op);
    expect(OPSET_RANGE).toEqual([7, 18]);
  });
});
