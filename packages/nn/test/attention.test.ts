import { ArgumentError, DTypeError, ShapeError, type Tensor, gelu, memory, tensor, tidy, zeros } from '@tsdl/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GELU, MultiheadAttention } from '../src/index';
import { loadFixtures, make, values } from './attention-fixtures';
import { detTensor, expectClose, useCpu } from './helpers';

useCpu();

/**
 * MultiheadAttention beyond the PyTorch parity cases: its parameters (names,
 * order, shapes, PyTorch's initial values), shapes of the outputs and
 * weights, isCausal, dropout in training, memory, and bad calls, which name
 * the module, the argument and the shapes and free what they made. And
 * GELU's { approximate } option.
 */

function expectThrow(f: () => unknown, type: new (...a: never[]) => Error, ...parts: string[]): void {
  const before = memory();
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ${type.name}`).toBeInstanceOf(type);
  for (const p of parts) expect((err as Error).message).toContain(p);
  const after = memory();
  expect(after.numTensors, 'live tensors after the error').toBe(before.numTensors);
  expect(after.numBytes, 'bytes after the error').toBe(before.numBytes);
}

describe('MultiheadAttention: parameters', () => {
  it("state-dict names, order and shapes are PyTorch's (every fixture case)", () => {
    for (const c of loadFixtures().mha) {
      const m = new MultiheadAttention(c.options as never);
      const dict = m.stateDict();
      expect(Object.keys(dict), c.name).toEqual(Object.keys(c.stateDict));
      for (const [k, v] of Object.entries(c.stateDict)) expect(dict[k].shape, `${c.name}: ${k}`).toEqual(v.shape);
      m.dispose();
    }
  });

  it('initial values as PyTorch: Xavier-uniform projections, zero biases, Xavier-normal bias_k/v', () => {
    const E = 16;
    const m = new MultiheadAttention(E, 4, { addBiasKv: true, seed: 3 });
    const w = Array.from(m.inProjWeight!.dataSync());
    const bound = Math.sqrt(6 / (E + 3 * E));
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    // Uniform on ±bound: the mean square is bound²/3 (768 draws: within 15%).
    const ms = w.reduce((a, v) => a + v * v, 0) / w.length;
    expect(ms / ((bound * bound) / 3)).toBeGreaterThan(0.85);
    expect(ms / ((bound * bound) / 3)).toBeLessThan(1.15);
    expect(Array.from(m.inProjBias!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(m.outProj.bias!.dataSync()).every((v) => v === 0)).toBe(true);
    // out_proj keeps Linear's default, U(±1/√E).
    expect(Math.max(...Array.from(m.outProj.weight.dataSync()).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(E));
    expect(m.biasK!.shape).toEqual([1, 1, E]);
    expect(Array.from(m.biasK!.dataSync()).some((v) => v !== 0)).toBe(true);
    // The same seed gives the same weights.
    const m2 = new MultiheadAttention(E, 4, { addBiasKv: true, seed: 3 });
    expect(Array.from(m2.inProjWeight!.dataSync())).toEqual(w);
    m.dispose();
    m2.dispose();
  });

  it('separate projections when kdim or vdim differ from embedDim', () => {
    const m = new MultiheadAttention({ embedDim: 8, numHeads: 2, kdim: 5, vdim: 3, bias: false });
    expect(m.packed).toBe(false);
    expect(m.namedParameters().map(([k, p]) => [k, p.shape])).toEqual([
      ['q_proj_weight', [8, 8]],
      ['k_proj_weight', [8, 5]],
      ['v_proj_weight', [8, 3]],
      ['out_proj.weight', [8, 8]],
    ]);
    expect(m.toString()).toContain(
      'MultiheadAttention(embedDim=8, numHeads=2, dropout=0, batchFirst=false, kdim=5, vdim=3',
    );
    m.dispose();
  });
});

describe('MultiheadAttention: forward', () => {
  let m: MultiheadAttention;
  let q: Tensor;
  let kv: Tensor;
  beforeAll(() => {
    m = new MultiheadAttention(8, 2, { seed: 5 });
    q = detTensor([3, 2, 8], 11); // [L 3, N 2, E 8]
    kv = detTensor([4, 2, 8], 12); // [S 4, N 2, E 8]
  });
  afterAll(() => {
    m.dispose();
    q.dispose();
    kv.dispose();
  });

  it('output and weights shapes: averaged, per head, none, unbatched', () => {
    tidy(() => {
      const [o, w] = m.call(q, kv, kv);
      expect(o.shape).toEqual([3, 2, 8]);
      expect(w!.shape).toEqual([2, 3, 4]);
      // Each query's weights over the keys sum to 1.
      expectClose(w!.sum(-1), new Array<number>(6).fill(1), 1e-6, 1e-6);
      const [, wh] = m.call(q, kv, kv, { averageAttnWeights: false });
      expect(wh!.shape).toEqual([2, 2, 3, 4]);
      expectClose(wh!.mean(1), w!.dataSync(), 1e-6, 1e-6);
      const [o2, none] = m.call(q, kv, kv, { needWeights: false });
      expect(none).toBeNull();
      expectClose(o2, o.dataSync(), 0, 0);
      // An unbatched call is the batch-of-one call without its batch axis.
      const q0 = q.slice([0, 0, 0], [3, 1, 8]);
      const k0 = kv.slice([0, 0, 0], [4, 1, 8]);
      const [ou, wu] = m.call(q0.reshape([3, 8]), k0.reshape([4, 8]), k0.reshape([4, 8]));
      expect(ou.shape).toEqual([3, 8]);
      expect(wu!.shape).toEqual([3, 4]);
      expectClose(ou, o.slice([0, 0, 0], [3, 1, 8]).dataSync(), 1e-6, 1e-6);
    });
  });

  it('isCausal builds the causal mask; with a causal attnMask as well the result is the same', () => {
    tidy(() => {
      const x = detTensor([4, 2, 8], 13);
      const [a, wa] = m.call(x, x, x, { isCausal: true });
      const blocked = tensor([0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0], [4, 4], 'bool');
      const [b] = m.call(x, x, x, { attnMask: blocked });
      const [c] = m.call(x, x, x, { attnMask: blocked, isCausal: true });
      expectClose(a, b.dataSync(), 1e-6, 1e-6);
      expectClose(c, b.dataSync(), 1e-6, 1e-6);
      // Nothing above the diagonal.
      const w = wa!.dataSync();
      for (let n = 0; n < 2; n++)
        for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) expect(w[n * 16 + i * 4 + j]).toBe(0);
    });
  });

  it('a fully padded sequence gives NaN, as PyTorch; the other sequence is finite', () => {
    tidy(() => {
      const kpm = tensor([true, true, true, true, false, false, true, true], [2, 4], 'bool');
      const [o] = m.call(q, kv, kv, { keyPaddingMask: kpm });
      const v = o.dataSync(); // [L, N, E]: batch 0 is every other block of 8
      for (let i = 0; i < 3; i++) {
        expect(Array.from(v.slice(i * 16, i * 16 + 8)).every(Number.isNaN)).toBe(true);
        expect(Array.from(v.slice(i * 16 + 8, i * 16 + 16)).every(Number.isFinite)).toBe(true);
      }
    });
  });

  it('dropout acts in training mode only, on the returned weights, reproducibly with a seed', () => {
    const make2 = (): MultiheadAttention => new MultiheadAttention(8, 2, { dropout: 0.5, seed: 9 });
    const a = make2();
    const b = make2();
    tidy(() => {
      const [oa, wa] = a.call(q, kv, kv, { averageAttnWeights: false });
      const [ob] = b.call(q, kv, kv, { averageAttnWeights: false });
      expectClose(oa, ob.dataSync(), 0, 0);
      const w = Array.from(wa!.dataSync());
      const zerosSeen = w.filter((v) => v === 0).length;
      expect(zerosSeen).toBeGreaterThan(w.length / 4);
      expect(zerosSeen).toBeLessThan((3 * w.length) / 4);
      // Kept weights are scaled by 1/(1 − p): a row's sum is no longer 1.
      const [, w2] = a.call(q, kv, kv, { averageAttnWeights: false });
      expect(Array.from(w2!.dataSync())).not.toEqual(w);
      a.eval();
      const [, we] = a.call(q, kv, kv);
      expectClose(we!.sum(-1), new Array<number>(6).fill(1), 1e-6, 1e-6);
    });
    a.dispose();
    b.dispose();
  });

  it('forward + backward under tidy leaves memory unchanged (training, masks, weights)', () => {
    const mm = new MultiheadAttention(8, 2, { dropout: 0.1, addBiasKv: true, addZeroAttn: true, seed: 2 });
    const x = detTensor([3, 2, 8], 14);
    x.requiresGrad = true;
    const mask = tensor([0, 0.5, -Infinity, 0, 0, 0, 0, 0, 0, 0, 0, -1], [3, 4]);
    const kpm = tensor([false, false, false, true, false, false, true, true], [2, 4], 'bool');
    const kv4 = detTensor([4, 2, 8], 15);
    for (let step = 0; step < 3; step++) {
      const before = memory();
      tidy(() => {
        const [o, w] = mm.call(x, kv4, kv4, { attnMask: mask, keyPaddingMask: kpm });
        o.sum().add(w!.mul(w!).sum()).backward();
      });
      mm.zeroGrad();
      x.zeroGrad();
      const after = memory();
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
    }
    for (const t of [x, mask, kpm, kv4]) t.dispose();
    mm.dispose();
  });
});

describe('MultiheadAttention: bad input', () => {
  let m: MultiheadAttention;
  let bf: MultiheadAttention;
  let q: Tensor;
  let kv: Tensor;
  beforeAll(() => {
    m = new MultiheadAttention(8, 2, { seed: 1 });
    bf = new MultiheadAttention({ embedDim: 8, numHeads: 2, kdim: 5, vdim: 6, batchFirst: true, seed: 1 });
    q = detTensor([3, 2, 8]);
    kv = detTensor([4, 2, 8]);
  });
  afterAll(() => {
    for (const x of [m, bf, q, kv]) x.dispose();
  });

  it('constructor options', () => {
    expectThrow(
      () => new MultiheadAttention(10, 3),
      ArgumentError,
      'MultiheadAttention: embedDim 10 must be divisible by numHeads 3',
    );
    expectThrow(
      () => new MultiheadAttention(8, 2, { batch_first: true } as never),
      ArgumentError,
      "MultiheadAttention: unknown option 'batch_first'",
    );
    expectThrow(
      () => new MultiheadAttention({ embedDim: 8 } as never),
      ArgumentError,
      'MultiheadAttention: numHeads must be a positive integer',
    );
    expectThrow(
      () => new MultiheadAttention(8, 2, { dropout: 2 }),
      ArgumentError,
      'MultiheadAttention: dropout must be a probability',
    );
    expectThrow(
      () => new MultiheadAttention(8, 2, { kdim: 0 }),
      ArgumentError,
      'MultiheadAttention: kdim must be a positive integer',
    );
    expectThrow(
      () => new MultiheadAttention(8, 2, { batchFirst: 'yes' } as never),
      ArgumentError,
      'MultiheadAttention: batchFirst must be a boolean',
    );
  });

  it('inputs of the wrong rank, size or dtype', () => {
    const q7 = detTensor([3, 2, 7]);
    const kv3 = detTensor([4, 3, 8]);
    const v5 = detTensor([5, 2, 8]);
    const q4 = detTensor([1, 3, 2, 8]);
    const q2 = detTensor([3, 8]);
    const qi = zeros([3, 2, 8], 'int32');
    const k8 = detTensor([2, 4, 8]);
    const v6 = detTensor([2, 4, 6]);
    expectThrow(
      () => m.call(q7, kv, kv),
      ShapeError,
      'MultiheadAttention: query must end in embedDim = 8',
      'query [3,2,7]',
    );
    expectThrow(
      () => m.call(q, kv3, kv3),
      ShapeError,
      'MultiheadAttention: query, key and value must have the same batch size',
      'key [4,3,8]',
    );
    expectThrow(
      () => m.call(q, kv, v5),
      ShapeError,
      'MultiheadAttention: key and value must have the same sequence length',
      'value [5,2,8]',
    );
    expectThrow(() => m.call(q4, kv, kv), ShapeError, 'MultiheadAttention: query must be 3-D [L, N, E] or 2-D [L, E]');
    expectThrow(
      () => m.call(q2, kv, kv),
      ShapeError,
      'MultiheadAttention: query, key and value must have the same rank',
    );
    expectThrow(() => m.call(qi, kv, kv), DTypeError, 'MultiheadAttention: query must be float32, got int32');
    // kdim 5: a key of 8 features is refused, naming kdim.
    const qb = detTensor([2, 3, 8]);
    expectThrow(() => bf.call(qb, k8, v6), ShapeError, 'MultiheadAttention: key must end in kdim = 5', 'key [2,4,8]');
    for (const t of [q7, kv3, v5, q4, q2, qi, k8, v6, qb]) t.dispose();
  });

  it('masks of the wrong shape or dtype, unknown forward options', () => {
    const m44 = zeros([4, 4], 'bool');
    const m334 = zeros([3, 3, 4], 'bool');
    const mInt = zeros([3, 4], 'int32');
    const kpm3 = zeros([2, 3], 'bool');
    const kpmT = zeros([4, 2], 'bool');
    expectThrow(
      () => m.call(q, kv, kv, { attnMask: m44 }),
      ShapeError,
      'MultiheadAttention: attnMask has shape [4,4], expected [3,4] (L, S) or [4,3,4] (N·numHeads, L, S)',
    );
    expectThrow(() => m.call(q, kv, kv, { attnMask: m334 }), ShapeError, 'attnMask has shape [3,3,4]');
    expectThrow(
      () => m.call(q, kv, kv, { attnMask: mInt }),
      DTypeError,
      'MultiheadAttention: attnMask must be bool (true = not allowed) or float32',
      'got int32',
    );
    expectThrow(
      () => m.call(q, kv, kv, { keyPaddingMask: kpm3 }),
      ShapeError,
      'MultiheadAttention: keyPaddingMask has shape [2,3], expected [2,4] (N, S)',
    );
    expectThrow(() => m.call(q, kv, kv, { keyPaddingMask: kpmT }), ShapeError, 'keyPaddingMask has shape [4,2]');
    expectThrow(
      () => m.call(q, kv, kv, { key_padding_mask: kpm3 } as never),
      ArgumentError,
      "MultiheadAttention: unknown option 'key_padding_mask' in forward options",
    );
    expectThrow(
      () => m.call(q, kv, kv, { needWeights: 1 } as never),
      ArgumentError,
      'MultiheadAttention: needWeights must be a boolean',
    );
    expectThrow(
      () => m.call(q, kv, kv, { attnMask: [[true]] } as never),
      ArgumentError,
      'MultiheadAttention: attnMask must be a Tensor',
    );
    for (const t of [m44, m334, mInt, kpm3, kpmT]) t.dispose();
  });
});

describe('GELU', () => {
  it('exact and tanh forms match PyTorch; { approximate } as PyTorch, or the string', () => {
    const fx = loadFixtures().gelu;
    const x = make(fx.x);
    for (const [mod, want] of [
      [new GELU(), fx.none],
      [new GELU({}), fx.none],
      [new GELU({ approximate: 'none' }), fx.none],
      [new GELU({ approximate: 'tanh' }), fx.tanh],
      [new GELU('tanh'), fx.tanh],
    ] as const) {
      tidy(() => expectClose(mod.call(x), values(want), 1e-6, 1e-5));
    }
    // The tanh form is not the exact one (the fixture would not tell them apart otherwise).
    tidy(() => expect(Math.max(...Array.from(gelu(x).sub(gelu(x, 'tanh')).abs().dataSync()))).toBeGreaterThan(1e-4));
    expect(new GELU({ approximate: 'tanh' }).toString()).toBe("GELU(approximate='tanh')");
    x.dispose();
  });

  it('refuses unknown options and values', () => {
    expectThrow(() => new GELU({ approx: 'tanh' } as never), ArgumentError, "GELU: unknown option 'approx'");
    expectThrow(
      () => new GELU({ approximate: 'erf' } as never),
      ArgumentError,
      `GELU: approximate must be 'none' or 'tanh', got "erf"`,
    );
    expectThrow(() => new GELU('exact' as never), ArgumentError, 'GELU: approximate must be');
  });
});
