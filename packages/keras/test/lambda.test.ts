import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, DataFormatError, type Tensor, sum, tanh, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Dense, Embedding, Input, Lambda, Sequential, model, modelToArtifacts, optimizers } from '../src/index';
import { layerFromConfig } from '../src/layers/registry';
import { blobs, expectValues, flat, thrown, useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

describe('Lambda', () => {
  it('applies a JavaScript function in a Sequential and a functional model', () => {
    const x = tensor([
      [1, -2],
      [3, 4],
    ]);
    const seq = new Sequential([new Lambda({ function: (t) => t.mul(2), inputShape: [2] })]);
    expectValues(seq.predict(x), [2, -4, 6, 8]);
    const inp = Input({ shape: [2] });
    const out = new Lambda((t) => t.neg()).apply(inp);
    expect(out.shape).toEqual([null, 2]);
    const withArgs = new Lambda({ function: (t, a) => t.add(a.shift as number), arguments: { shift: 10 } });
    const f = model({ inputs: inp, outputs: withArgs.apply(inp) });
    expectValues(f.predict(x), [11, 8, 13, 14]);
  });

  it('infers the output shape by a trial call, or takes outputShape (a list without the batch axis, or a function)', () => {
    const total = new Lambda((t) => sum(t, -1, true));
    expect(total.computeOutputShape([null, 5])).toEqual([null, 1]);
    expect(new Lambda((t) => t.reshape([t.shape[0], 2, -1])).computeOutputShape([null, 6])).toEqual([null, 2, 3]);
    expect(new Lambda({ function: (t) => t, outputShape: [7] }).computeOutputShape([null, 7])).toEqual([null, 7]);
    expect(
      new Lambda({
        function: (t: Tensor) => t,
        output_shape: (s: (number | null)[]) => [s[0], 9],
      } as never).computeOutputShape([null, 3]),
    ).toEqual([null, 9]);
    expect(() => new Lambda({ function: (t) => t, name: 'lam' }).computeOutputShape([null, null, 3])).toThrow(
      /lam \(Lambda\): cannot infer the output shape for input shape \(None, None, 3\)/,
    );
  });

  it('trains: gradients flow through the function to the layers before it', async () => {
    const m = new Sequential([
      new Dense({ units: 4, inputShape: [2], seed: 1, activation: 'relu' }),
      new Lambda((t) => tanh(t)),
      new Dense({ units: 2, seed: 2, activation: 'softmax' }),
    ]);
    m.compile({ optimizer: optimizers.Adam({ learningRate: 0.05 }), loss: 'sparse_categorical_crossentropy' });
    const { x, y } = blobs(64, 3);
    const h = await m.fit(x, y, { epochs: 8, batchSize: 16, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.7);
  });

  it('cannot be saved: an ArgumentError naming the layer says why and what to do, and nothing is written', async () => {
    const m = new Sequential([
      new Dense({ units: 2, inputShape: [2] }),
      new Lambda({ function: (t) => t.mul(2), name: 'double' }),
    ]);
    const dir = join(tempDir(), 'lambda');
    const e = await thrown(() => m.save(dir));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(
      /double \(Lambda\): a Lambda layer holds a JavaScript function, which cannot be serialized.*Layer subclass.*registerLayer/,
    );
    // save may have made the (empty) directory before asking for the config; no file is in it.
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    await expect(modelToArtifacts(m)).rejects.toThrow(/cannot be serialized/);
  });

  it('a saved Lambda entry cannot be loaded: a DataFormatError says so', () => {
    expect(() =>
      layerFromConfig({ className: 'Lambda', config: { name: 'lam', function: { class_name: '__lambda__' } } }),
    ).toThrow(DataFormatError);
    expect(() => layerFromConfig({ className: 'Lambda', config: { name: 'lam' } })).toThrow(
      /Lambda layer 'lam' cannot be loaded: its function .* cannot run here/,
    );
  });

  it('bad arguments, a non-tensor result and a masked input are errors naming the layer', () => {
    expect(() => new Lambda({} as never)).toThrow(/function must be a JavaScript function of a tensor/);
    expect(() => new Lambda({ function: (t: Tensor) => t, outputShape: 'x' as never })).toThrow(
      /outputShape must be a list of sizes/,
    );
    expect(() => new Lambda({ function: (t: Tensor) => t, mask: () => null } as never)).toThrow(
      /Lambda: unknown option 'mask'/,
    );
    expect(() => new Lambda({ function: (t: Tensor) => t, arguments: [1] as never })).toThrow(
      /arguments must be an object/,
    );
    const bad = new Lambda({ function: (() => 3) as never, name: 'three' });
    expect(() => bad.call(tensor([1]))).toThrow(/three \(Lambda\): the function must return a Tensor, got 3/);
    expect(() => bad.computeOutputShape([null, 2])).toThrow(ArgumentError);
    expect(
      () =>
        new Sequential([
          new Embedding({ inputDim: 5, outputDim: 2, maskZero: true, inputShape: [3] }),
          new Lambda({ function: (t) => t, name: 'lm' }),
        ]),
    ).toThrow(/lm \(Lambda\) does not support masking/);
  });
});

it('a Lambda returns what its function returns (no copy)', () => {
  const x = tensor([1, 2]);
  expect(flat(new Lambda((t) => t).call(x))).toEqual([1, 2]);
});
