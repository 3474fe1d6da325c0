import { gradCheck, seededAwayFrom } from '@tsdl/test-utils';
import { ArgumentError, AxisError, ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Add,
  Average,
  Concatenate,
  Dense,
  Dot,
  Input,
  Maximum,
  Minimum,
  Multiply,
  Sequential,
  Subtract,
  SymbolicTensor,
  add,
  concatenate,
  dot,
  maximum,
  model,
  subtract,
} from '../src/index';
import { expectValues, flat, seeded, useCpu } from './helpers';

useCpu();

const a = (): Tensor =>
  tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
const b = (): Tensor =>
  tensor([
    [10, 20, 30],
    [40, 50, 60],
  ]);
const c = (): Tensor =>
  tensor([
    [1, 1, 1],
    [2, 2, 2],
  ]);
const d = (): Tensor =>
  tensor([
    [3, 0, 3],
    [0, 9, 0],
  ]);

describe('merge layers on tensors: layer.apply([a, b]) gives the merged tensor', () => {
  it('Add, Subtract, Multiply, Average, Maximum, Minimum compute Keras values', () => {
    expectValues(new Add().apply([a(), b(), c()]), [12, 23, 34, 46, 57, 68]);
    expectValues(new Subtract().apply([a(), b()]), [-9, -18, -27, -36, -45, -54]);
    expectValues(new Multiply().apply([a(), b()]), [10, 40, 90, 160, 250, 360]);
    expectValues(new Average().apply([a(), b()]), [5.5, 11, 16.5, 22, 27.5, 33]);
    expectValues(new Maximum().apply([a(), d()]), [3, 2, 3, 4, 9, 6]);
    expectValues(new Minimum().apply([a(), d()]), [1, 0, 3, 0, 5, 0]);
    // Keras' functional forms, and tensors as separate arguments.
    expectValues(add([a(), b()]), [11, 22, 33, 44, 55, 66]);
    expectValues(subtract([b(), a()]), [9, 18, 27, 36, 45, 54]);
    expectValues(maximum([a(), d()]), [3, 2, 3, 4, 9, 6]);
    expectValues(new Add().apply(a(), c()), [2, 3, 4, 6, 7, 8]);
  });

  it('broadcast sample shapes as Keras: size-1 axes stretch, a lower rank gains axes after the batch axis', () => {
    // [2, 2, 3] + [2, 3]: each sample's vector is added to both of its rows.
    const x = tensor([
      [
        [0, 0, 0],
        [1, 1, 1],
      ],
      [
        [2, 2, 2],
        [3, 3, 3],
      ],
    ]);
    const y = new Add().apply([x, a()]);
    expect(y.shape).toEqual([2, 2, 3]);
    expectValues(y, [1, 2, 3, 2, 3, 4, 6, 7, 8, 7, 8, 9]);
    // [2, 1, 3] · [2, 2, 3].
    const z = new Multiply().apply([tensor([[[1, 2, 3]], [[-1, 0, 1]]]), x]);
    expect(z.shape).toEqual([2, 2, 3]);
    expectValues(z, [0, 0, 0, 1, 2, 3, -2, 0, 2, -3, 0, 3]);
  });

  it('Concatenate joins along its axis', () => {
    const y = concatenate([
      a(),
      tensor([
        [7, 8],
        [9, 10],
      ]),
    ]);
    expect(y.shape).toEqual([2, 5]);
    expectValues(y, [1, 2, 3, 7, 8, 4, 5, 6, 9, 10]);
    const t = new Concatenate({ axis: 1 }).apply([
      tensor([[[1, 2]], [[3, 4]]]),
      tensor([
        [
          [5, 6],
          [7, 8],
        ],
        [
          [9, 10],
          [11, 12],
        ],
      ]),
    ]);
    expect(t.shape).toEqual([2, 3, 2]);
    expectValues(t, [1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12]);
  });

  it('Dot is the per-sample dot product over the given axes (normalize: cosine similarity)', () => {
    const y = new Dot({ axes: 1 }).apply([a(), b()]);
    expect(y.shape).toEqual([2, 1]);
    expectValues(y, [140, 770]);
    expectValues(dot([a(), c()], 1, true), [6 / Math.sqrt(14 * 3), 30 / Math.sqrt(77 * 12)]);
    // [1, 2, 3] · [1, 4, 3] over the last axes: x · yᵀ per sample, [1, 2, 4].
    const x3 = tensor([
      [
        [1, 0, 2],
        [0, 1, -1],
      ],
    ]);
    const y3 = tensor([
      [
        [1, 1, 1],
        [2, 0, 1],
        [0, 3, 0],
        [1, -1, 2],
      ],
    ]);
    const xy = new Dot({ axes: [2, 2] }).apply([x3, y3]);
    expect(xy.shape).toEqual([1, 2, 4]);
    expectValues(xy, [3, 4, 0, 5, 0, -1, 3, -3]);
    // Different axes per input: x [1, 3, 2] over axis 1, y [1, 4, 3] over axis 2 → [1, 2, 4].
    const xa = tensor([
      [
        [1, 0],
        [0, 2],
        [2, 1],
      ],
    ]);
    const ya = tensor([
      [
        [1, 1, 1],
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
    ]);
    const r = new Dot({ axes: [1, -1] }).apply([xa, ya]);
    expect(r.shape).toEqual([1, 2, 4]);
    expectValues(r, [3, 1, 0, 2, 3, 0, 2, 1]);
  });

  it('gradients match central finite differences', async () => {
    const x = tensor(seededAwayFrom(6, 1, [0], 0.3), [2, 3]);
    const y = tensor(seededAwayFrom(6, 2, [0], 0.3), [2, 3]);
    await gradCheck((p, q) => new Dot({ axes: 1, normalize: true }).apply([p, q]), [x, y], { atol: 2e-3, rtol: 2e-2 });
    await gradCheck((p, q) => new Concatenate({ axis: -1 }).apply([p, q]).square(), [x, y], { atol: 2e-3, rtol: 2e-2 });
    await gradCheck((p, q) => new Average().apply([p, q.mul(2)]), [x, y], { atol: 2e-3, rtol: 2e-2 });
    await gradCheck((p, q) => new Subtract().apply([p, q]).square(), [x, y], { atol: 2e-3, rtol: 2e-2 });
  });
});

describe('merge layers in functional models', () => {
  it('give symbolic tensors the Keras output shapes', () => {
    const x = Input({ shape: [4] });
    const y = Input({ shape: [4] });
    const s = new Add().apply([x, y]);
    expect(s).toBeInstanceOf(SymbolicTensor);
    expect(s.shape).toEqual([null, 4]);
    expect(concatenate([x, Input({ shape: [2] })]).shape).toEqual([null, 6]);
    expect(new Concatenate({ axis: 1 }).apply([Input({ shape: [2, 3] }), Input({ shape: [5, 3] })]).shape).toEqual([
      null,
      7,
      3,
    ]);
    expect(new Dot({ axes: 1 }).apply([x, y]).shape).toEqual([null, 1]);
    expect(new Dot({ axes: [2, 2] }).apply([Input({ shape: [5, 3] }), Input({ shape: [7, 3] })]).shape).toEqual([
      null,
      5,
      7,
    ]);
    expect(new Multiply().apply([Input({ shape: [3, 4] }), Input({ shape: [4] })]).shape).toEqual([null, 3, 4]);
    expect(new Maximum().apply([Input({ shape: [1, 4] }), Input({ shape: [3, 1] })]).shape).toEqual([null, 3, 4]);
  });

  it('bad shapes, axes and input counts are errors naming the layer and the shapes', () => {
    const cases: [() => unknown, new (...args: never[]) => Error, RegExp][] = [
      [
        () => new Add({ name: 'sum' }).apply([Input({ shape: [3] }), Input({ shape: [4] })]),
        ShapeError,
        /^sum \(Add\): inputs have incompatible shapes .*; got input shapes \(None, 3\), \(None, 4\)$/,
      ],
      [
        () => new Concatenate({ name: 'cat' }).apply([Input({ shape: [2, 3] }), Input({ shape: [3, 3] })]),
        ShapeError,
        /^cat \(Concatenate\): .*they differ on axis 1; got input shapes \(None, 2, 3\), \(None, 3, 3\)$/,
      ],
      [
        () => new Concatenate({ name: 'cat3', axis: 3 }).apply([Input({ shape: [2, 3] }), Input({ shape: [2, 3] })]),
        AxisError,
        /^cat3 \(Concatenate\): axis 3 is out of range for inputs of rank 3; got input shapes \(None, 2, 3\), \(None, 2, 3\)$/,
      ],
      [
        () => new Concatenate().apply([Input({ shape: [2, 3] }), Input({ shape: [6] })]),
        ShapeError,
        /inputs must have the same rank; got input shapes \(None, 2, 3\), \(None, 6\)/,
      ],
      [
        () =>
          new Subtract({ name: 'diff' }).apply([Input({ shape: [2] }), Input({ shape: [2] }), Input({ shape: [2] })]),
        ArgumentError,
        /^diff \(Subtract\) should be applied to a list of exactly 2 inputs, got 3 symbolic tensors$/,
      ],
      [
        () => new Dot({ axes: 1, name: 'dp' }).apply([Input({ shape: [3] }), Input({ shape: [4] })]),
        ShapeError,
        /^dp \(Dot\): axis 1 of the first input \(3\) and axis 1 of the second \(4\) must have the same size; got input shapes \(None, 3\), \(None, 4\)$/,
      ],
      [
        () => new Dot({ axes: 0 }).apply([Input({ shape: [3] }), Input({ shape: [3] })]),
        AxisError,
        /cannot take the dot product over axis 0, the batch axis/,
      ],
      [
        () => new Dot({ axes: [1, 2] }).apply([Input({ shape: [3] }), Input({ shape: [3] })]),
        AxisError,
        /axis 2 is out of range for input 1 of rank 2/,
      ],
      [
        () => new Dot({ axes: 'x' as never }),
        ArgumentError,
        /axes must be an integer or a list of two integers, got 'x'/,
      ],
      [() => new Add({ axis: 1 } as never), ArgumentError, /^Add: unknown option 'axis'/],
      [() => new Concatenate({ axis: 1.5 }), ArgumentError, /axis must be an integer, got 1\.5/],
      [
        () => new Add().apply([a(), tensor([[1, 2, 3]])]),
        ShapeError,
        /cannot merge tensors with different batch sizes; got input shapes \(2, 3\), \(1, 3\)/,
      ],
      [
        () => new Sequential([new Dense({ units: 2, inputShape: [3] }), new Add()]),
        ArgumentError,
        /merges a list of inputs, so it cannot run in a Sequential model/,
      ],
      [() => new Add().apply([Input({ shape: [2] }), 'x']), ArgumentError, /apply takes symbolic tensors/],
    ];
    for (const [fn, kind, message] of cases) {
      let error: unknown = null;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(error, String(message)).toBeInstanceOf(kind);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('a one-input layer given two tensors is an error, not a silently dropped input', () => {
    const dense = new Dense({ units: 2, name: 'd2' });
    const before = memory().numTensors;
    expect(() => dense.apply(a(), b())).toThrow(
      /^d2 \(Dense\) takes one input, got 2 tensors; to combine tensors use a merge layer/,
    );
    expect(() => dense.apply([a(), b()])).toThrow(ArgumentError);
    expect(() => dense.apply(Input({ shape: [3] }), Input({ shape: [3] }))).toThrow(
      /d2 \(Dense\) takes one input, got 2 symbolic tensors/,
    );
    // a() and b() above are the only tensors made (the layer built nothing: it refused first).
    expect(memory().numTensors - before).toBeLessThanOrEqual(4);
    expect(dense.apply([a()]).shape).toEqual([2, 2]);
  });

  it('run in a model: a merge of two branches predicts what the branches compute', () => {
    const x = Input({ shape: [3], name: 'x' });
    const left = new Dense({ units: 2, name: 'left', seed: 1 });
    const right = new Dense({ units: 2, name: 'right', seed: 2 });
    const lx = left.apply(x);
    const rx = right.apply(x);
    const m = model({
      inputs: x,
      outputs: [add([lx, rx]), new Concatenate({ name: 'cat' }).apply([lx, rx]), dot([lx, rx], 1)],
    });
    const xs = seeded([5, 3], 3);
    const [s, cat, dp] = m.predict(xs);
    const l = flat(left.apply(xs) as Tensor);
    const r = flat(right.apply(xs) as Tensor);
    expectValues(
      s,
      l.map((v, i) => v + r[i]),
    );
    expectValues(
      cat,
      [0, 1, 2, 3, 4].flatMap((i) => [l[2 * i], l[2 * i + 1], r[2 * i], r[2 * i + 1]]),
    );
    expectValues(
      dp,
      [0, 1, 2, 3, 4].map((i) => l[2 * i] * r[2 * i] + l[2 * i + 1] * r[2 * i + 1]),
    );
  });
});

describe('masks through merges (Keras semantics)', () => {
  const m1 = (): Tensor => tensor([[true, true, false]]);
  const m2 = (): Tensor => tensor([[true, false, true]]);
  const x = (): Tensor => seeded([1, 3, 2], 4);

  it('elementwise merges keep a step where every masked input has it', () => {
    expect(flat(new Add().runNode([x(), x()], [m1(), m2()]).mask as Tensor)).toEqual([1, 0, 0]);
    expect(flat(new Multiply().runNode([x(), x()], [m1(), null]).mask as Tensor)).toEqual([1, 1, 0]);
    expect(new Average().runNode([x(), x()], [null, null]).mask).toBeNull();
  });

  it('Concatenate widens each mask, joins them like the inputs and keeps a step where any value is real', () => {
    expect(flat(new Concatenate().runNode([x(), x()], [m1(), null]).mask as Tensor)).toEqual([1, 1, 1]);
    expect(flat(new Concatenate().runNode([x(), x()], [m1(), m2()]).mask as Tensor)).toEqual([1, 1, 1]);
    const alongTime = new Concatenate({ axis: 1 }).runNode([x(), x()], [m1(), null]);
    expect(alongTime.output.shape).toEqual([1, 6, 2]);
    expect(flat(alongTime.mask as Tensor)).toEqual([1, 1, 0, 1, 1, 1]);
  });

  it('Dot refuses a masked input rather than drop the mask', () => {
    expect(() => new Dot({ axes: 2 }).runNode([x(), x()], [m1(), null])).toThrow(/Dot\) does not support masking/);
  });
});
