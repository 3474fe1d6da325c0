import { ArgumentError, DTypeError, ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Dense, Input, MultiHeadAttention, Sequential, model } from '../src/index';
import { seeded, useCpu } from './helpers';

useCpu();

const mha = (extra: Record<string, unknown> = {}) =>
  new MultiHeadAttention({ numHeads: 2, keyDim: 3, name: 'att', ...extra } as never);

describe('MultiHeadAttention: bad options', () => {
  it('refuses unknown options, bad sizes and non-default attentionAxes', () => {
    expect(() => mha({ numHead: 2 })).toThrow(/MultiHeadAttention: unknown option 'numHead'/);
    expect(() => mha({ numHeads: 0 })).toThrow(
      new ArgumentError('att (MultiHeadAttention): numHeads must be a positive integer, got 0'),
    );
    expect(() => mha({ keyDim: 2.5 })).toThrow(/keyDim must be a positive integer/);
    expect(() => mha({ dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(() => mha({ outputShape: [2, 3] })).toThrow(
      /outputShape must be a positive integer .* multi-dimensional outputs are not supported/,
    );
    expect(() => mha({ attentionAxes: [1, 2] })).toThrow(
      /att \(MultiHeadAttention\): attentionAxes \[1,2\] is not supported; only the default/,
    );
    expect(() => mha({ kernelInitializer: 'nope' })).toThrow(/kernelInitializer/);
    // Keras' default axis for [batch, time, features], spelled out, is the default.
    expect(mha({ attentionAxes: [1] }).getConfig().attentionAxes).toBeNull();
    // Heads need not divide anything: keyDim is separate, as in Keras.
    expect((mha({ numHeads: 3, keyDim: 5 }).call(seeded([1, 2, 4], 1), seeded([1, 2, 4], 2)) as Tensor).shape).toEqual([
      1, 2, 4,
    ]);
  });

  it('round-trips its config with Keras names (snake_case accepted)', () => {
    const m = new MultiHeadAttention({
      num_heads: 4,
      key_dim: 8,
      value_dim: 2,
      output_shape: 5,
      use_bias: false,
      dropout: 0.1,
      seed: 3,
      name: 'x',
    } as never);
    const c = m.getConfig();
    expect(c).toMatchObject({
      name: 'x',
      numHeads: 4,
      keyDim: 8,
      valueDim: 2,
      outputShape: 5,
      useBias: false,
      dropout: 0.1,
      attentionAxes: null,
      seed: 3,
    });
    expect(new MultiHeadAttention(c as never).getConfig()).toEqual(c);
  });
});

describe('MultiHeadAttention: bad inputs name the layer and free what they made', () => {
  it('mismatched feature sizes after build, ranks, batches, steps and dtypes', () => {
    const m = mha();
    m.call(seeded([2, 3, 4], 1), seeded([2, 5, 6], 2));
    const q = seeded([2, 3, 4], 3);
    const v = seeded([2, 5, 6], 4);
    const [q5, v4, k7, q2d, v3, k4] = [
      seeded([2, 3, 5], 5),
      seeded([2, 5, 4], 6),
      seeded([2, 5, 7], 7),
      seeded([2, 4], 8),
      seeded([3, 5, 6], 9),
      seeded([2, 4, 6], 10),
    ];
    const qInt = tensor([1, 2, 3, 4, 5, 6], [1, 2, 3], 'int32');
    const bad = [
      [
        () => m.call(q5, v),
        ShapeError,
        /att \(MultiHeadAttention\): was built for a query with 4 features, got query of shape \[2,3,5\]/,
      ],
      [() => m.call(q, v4), ShapeError, /was built for a value with 6 features/],
      [() => m.call(q, v, k7), ShapeError, /was built for a key with 6 features/],
      [
        () => m.call(q2d, v),
        ShapeError,
        /att \(MultiHeadAttention\): query must have shape \[batch, time, features\], got \[2,4\]/,
      ],
      [() => m.call(q, v3), ShapeError, /must have the same batch size/],
      [() => m.call(q, v, k4), ShapeError, /value \[2,5,6\] and key \[2,4,6\] must have the same number of steps/],
      [() => m.call(qInt, v), DTypeError, /query must be float32, got int32/],
      [
        () => m.call(q, v, { atentionMask: null } as never),
        ArgumentError,
        /att \(MultiHeadAttention\): unknown option 'atentionMask'/,
      ],
      [() => mha().call(q2d, v), ShapeError, /query must have shape \[batch, time, features\]/],
    ] as const;
    const n = memory().numTensors;
    for (const [f, cls, msg] of bad) {
      expect(f).toThrow(cls);
      expect(f).toThrow(msg);
    }
    expect(memory().numTensors).toBe(n);
  });

  it('masks of the wrong shape or dtype', () => {
    const m = mha();
    const q = seeded([2, 3, 4], 1);
    const v = seeded([2, 5, 4], 2);
    m.call(q, v);
    const wrongShape = tensor(new Array(2 * 5 * 3).fill(true), [2, 5, 3], 'bool');
    const floatMask = tensor(new Array(30).fill(1), [2, 3, 5]);
    const shortPad = tensor([true, true, true], [1, 3], 'bool');
    const n = memory().numTensors;
    expect(() => m.call(q, v, { attentionMask: wrongShape })).toThrow(
      new ShapeError(
        'att (MultiHeadAttention): attentionMask of shape [2,5,3] does not match the inputs: expected [2,3,5]',
      ),
    );
    expect(() => m.call(q, v, { attentionMask: floatMask })).toThrow(
      new DTypeError(
        'att (MultiHeadAttention): attentionMask must be bool (true = attend) or int32 (non-zero = attend), got float32 of shape [2,3,5]',
      ),
    );
    expect(() => m.call(q, v, { queryMask: shortPad })).toThrow(
      /queryMask of shape \[1,3\] does not match the inputs: expected \[2,3\]/,
    );
    expect(() => m.call(q, v, { valueMask: shortPad })).toThrow(
      /valueMask of shape \[1,3\] does not match the inputs: expected \[2,5\]/,
    );
    expect(() => m.call(q, v, { useCausalMask: 1 } as never)).toThrow(/useCausalMask must be a boolean/);
    expect(memory().numTensors).toBe(n);
  });
});

describe('MultiHeadAttention in models', () => {
  it('needs two inputs: a Sequential model or a single input is refused with a pointer to mha.apply(x, x)', () => {
    expect(() => new Sequential([new Dense({ units: 4, inputShape: [3, 2] }), mha()])).toThrow(
      /takes a query and a value .* mha\.apply\(x, x\)/,
    );
    const x = Input({ shape: [3, 4] });
    expect(() => mha().apply(x)).toThrow(
      /att \(MultiHeadAttention\) takes a query and a value \(and optionally a key\), got 1 symbolic tensor/,
    );
    expect(() => new Dense({ units: 2, name: 'd' }).apply(x, x)).toThrow(
      new ArgumentError('d (Dense) takes one input, got 2 symbolic tensors'),
    );
  });

  it('refuses call options a functional node cannot save, and a second output', () => {
    const x = Input({ shape: [3, 4] });
    expect(() => mha().apply(x, x, { attentionMask: x })).toThrow(
      /option 'attentionMask' is not supported in a functional model/,
    );
    expect(() => mha().apply(x, x, { returnAttentionScores: true })).toThrow(/returnAttentionScores gives two tensors/);
    expect(() => mha().apply(x, x, { useCausalMask: true }, {})).toThrow(/at most one options object/);
    expect(() => mha().apply(x, Input({ shape: [4, 5] }), Input({ shape: [3, 5] }))).toThrow(
      /value \(None, 4, 5\) and key \(None, 3, 5\) must have the same number of steps/,
    );
  });

  it('cross-attention between two branches of one input, with outputShape', () => {
    const x = Input({ shape: [3, 4] });
    const a = new Dense({ units: 6, seed: 1 }).apply(x);
    const y = new MultiHeadAttention({ numHeads: 2, keyDim: 2, outputShape: 5, seed: 2 }).apply(x, a);
    expect(y.shape).toEqual([null, 3, 5]);
    const m = model({ inputs: x, outputs: y });
    const out = m.predict(seeded([2, 3, 4], 3));
    expect(out.shape).toEqual([2, 3, 5]);
  });
});
