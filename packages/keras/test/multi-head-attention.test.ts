/**
 * MultiHeadAttention against a float64 reference written from Keras' einsum
 * equations, and against @tsdl/nn's MultiheadAttention (PyTorch's, itself
 * checked against PyTorch) with the weights converted; gradients against
 * finite differences.
 */
import { gradCheck } from '@tsdl/test-utils';
import { MultiheadAttention } from '@tsdl/nn';
import { type Tensor, concat, logicalNot, reshape, tensor, transpose } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { MultiHeadAttention } from '../src/index';
import { expectValues, seeded, useCpu } from './helpers';

useCpu();

const TOL = { atol: 2e-5, rtol: 2e-4 };

interface Weights {
  qk: Float32Array;
  qb: Float32Array | null;
  kk: Float32Array;
  kb: Float32Array | null;
  vk: Float32Array;
  vb: Float32Array | null;
  ok: Float32Array;
  ob: Float32Array | null;
}

function weightsOf(m: MultiHeadAttention): Weights {
  const w = Object.fromEntries(m.namedWeights().map(([n, t]) => [n, t.dataSync() as Float32Array]));
  return {
    qk: w['query/kernel'],
    qb: w['query/bias'] ?? null,
    kk: w['key/kernel'],
    kb: w['key/bias'] ?? null,
    vk: w['value/kernel'],
    vb: w['value/bias'] ?? null,
    ok: w['attention_output/kernel'],
    ob: w['attention_output/bias'] ?? null,
  };
}

/**
 * Keras' computation in float64: 'abc,cde->abde' projections, the query times
 * 1/√keyDim, 'aecd,abcd->acbe' scores, masked scores set to −1e9, softmax,
 * 'acbe,aecd->abcd' and the output 'abcd,cde->abe'.
 */
function reference(
  q: Tensor,
  v: Tensor,
  k: Tensor,
  w: Weights,
  H: number,
  kd: number,
  vd: number,
  O: number,
  mask: (b: number, t: number, s: number) => boolean = () => true,
): { out: number[]; scores: number[] } {
  const [B, T, Dq] = q.shape;
  const [, S, Dv] = v.shape;
  const Dk = k.shape[2];
  const qx = q.dataSync();
  const vx = v.dataSync();
  const kx = k.dataSync();
  const proj = (
    x: ArrayLike<number>,
    L: number,
    D: number,
    ker: Float32Array,
    bias: Float32Array | null,
    d: number,
  ) => {
    const y = new Float64Array(B * L * H * d);
    for (let b = 0; b < B; b++)
      for (let l = 0; l < L; l++)
        for (let h = 0; h < H; h++)
          for (let e = 0; e < d; e++) {
            let acc = bias ? bias[h * d + e] : 0;
            for (let c = 0; c < D; c++) acc += x[(b * L + l) * D + c] * ker[(c * H + h) * d + e];
            y[((b * L + l) * H + h) * d + e] = acc;
          }
    return y;
  };
  const qp = proj(qx, T, Dq, w.qk, w.qb, kd).map((x) => x / Math.sqrt(kd));
  const kp = proj(kx, S, Dk, w.kk, w.kb, kd);
  const vp = proj(vx, S, Dv, w.vk, w.vb, vd);
  const scores: number[] = [];
  const out: number[] = [];
  const att = new Float64Array(B * T * H * vd);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const row: number[] = [];
        for (let s = 0; s < S; s++) {
          let acc = 0;
          for (let e = 0; e < kd; e++) acc += qp[((b * T + t) * H + h) * kd + e] * kp[((b * S + s) * H + h) * kd + e];
          row.push(mask(b, t, s) ? acc : -1e9);
        }
        const mx = Math.max(...row);
        const ex = row.map((x) => Math.exp(x - mx));
        const z = ex.reduce((a, c) => a + c, 0);
        const p = ex.map((x) => x / z);
        scores.push(...p);
        for (let e = 0; e < vd; e++) {
          let acc = 0;
          for (let s = 0; s < S; s++) acc += p[s] * vp[((b * S + s) * H + h) * vd + e];
          att[((b * T + t) * H + h) * vd + e] = acc;
        }
      }
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let o = 0; o < O; o++) {
        let acc = w.ob ? w.ob[o] : 0;
        for (let h = 0; h < H; h++)
          for (let e = 0; e < vd; e++) acc += att[((b * T + t) * H + h) * vd + e] * w.ok[(h * vd + e) * O + o];
        out.push(acc);
      }
  return { out, scores };
}

describe('MultiHeadAttention: Keras weights and the einsum reference', () => {
  it('creates Keras-named weights of Keras shapes, in Keras order', () => {
    const m = new MultiHeadAttention({ numHeads: 3, keyDim: 4, valueDim: 5, outputShape: 7, seed: 1 });
    m.call(seeded([2, 3, 6], 1), seeded([2, 4, 8], 2), seeded([2, 4, 9], 3));
    expect(m.namedWeights().map(([n, t]) => `${n}:${t.shape.join('x')}`)).toEqual([
      'query/kernel:6x3x4',
      'query/bias:3x4',
      'key/kernel:9x3x4',
      'key/bias:3x4',
      'value/kernel:8x3x5',
      'value/bias:3x5',
      'attention_output/kernel:3x5x7',
      'attention_output/bias:7',
    ]);
    // Keras' glorot_uniform fans for [dim, heads, keyDim]: fanIn = heads·dim, fanOut = keyDim·dim.
    const limit = Math.sqrt(6 / (3 * 6 + 4 * 6));
    const qk = [...(m.namedWeights()[0][1].dataSync() as Float32Array)];
    expect(Math.max(...qk.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...qk.map(Math.abs))).toBeGreaterThan(limit * 0.7);
  });

  it('cross-attention with separate key, valueDim and outputShape matches the reference (non-zero biases)', () => {
    const m = new MultiHeadAttention({
      numHeads: 2,
      keyDim: 3,
      valueDim: 4,
      outputShape: 5,
      biasInitializer: 'random_normal',
      seed: 2,
    });
    const q = seeded([2, 3, 6], 4);
    const v = seeded([2, 4, 7], 5);
    const k = seeded([2, 4, 8], 6);
    const [y, scores] = m.call(q, v, k, { returnAttentionScores: true }) as [Tensor, Tensor];
    expect(y.shape).toEqual([2, 3, 5]);
    expect(scores.shape).toEqual([2, 2, 3, 4]);
    const ref = reference(q, v, k, weightsOf(m), 2, 3, 4, 5);
    expectValues(y, ref.out, TOL, 'output');
    expectValues(scores, ref.scores, TOL, 'scores');
  });

  it('self-attention without biases, key defaulting to value, output the query size', () => {
    const m = new MultiHeadAttention({ numHeads: 3, keyDim: 2, useBias: false, seed: 3 });
    const x = seeded([2, 4, 5], 7);
    const y = m.call(x, x) as Tensor;
    expect(m.namedWeights().map(([n]) => n)).toEqual([
      'query/kernel',
      'key/kernel',
      'value/kernel',
      'attention_output/kernel',
    ]);
    expectValues(y, reference(x, x, x, weightsOf(m), 3, 2, 2, 5).out, TOL);
  });

  it('attentionMask (true = attend), the causal mask and padding masks combine as Keras', () => {
    const m = new MultiHeadAttention({ numHeads: 2, keyDim: 3, seed: 4 });
    const q = seeded([2, 3, 4], 8);
    const v = seeded([2, 4, 4], 9);
    const am = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1];
    const attentionMask = tensor(am.map(Boolean), [2, 3, 4], 'bool');
    const valueMask = tensor([1, 1, 1, 0, 1, 1, 1, 1], [2, 4], 'int32');
    const queryMask = tensor([true, true, false, true, true, true], [2, 3], 'bool');
    const y = m.call(q, v, { attentionMask, useCausalMask: true, valueMask, queryMask }) as Tensor;
    const ok = (b: number, t: number, s: number) =>
      am[(b * 3 + t) * 4 + s] === 1 && s <= t && (b === 1 || s !== 3) && !(b === 0 && t === 2);
    const ref = reference(q, v, v, weightsOf(m), 2, 3, 3, 4, ok);
    expectValues(y, ref.out, TOL);
    // Query 2 of sequence 0 is padding: every key is masked, so (as Keras' −1e9) it attends evenly, not NaN.
    const [, s] = m.call(q, v, {
      attentionMask,
      useCausalMask: true,
      valueMask,
      queryMask,
      returnAttentionScores: true,
    }) as [Tensor, Tensor];
    expectValues((s.dataSync() as Float32Array).slice(8, 12), [0.25, 0.25, 0.25, 0.25], TOL, 'fully masked row');
  });

  it('dropout applies in training only, to the weights multiplying the values; the returned scores are before it', () => {
    const m = new MultiHeadAttention({ numHeads: 2, keyDim: 2, dropout: 0.5, seed: 5 });
    const x = seeded([2, 3, 4], 10);
    const plain = m.call(x, x, { training: false }) as Tensor;
    expectValues(plain, reference(x, x, x, weightsOf(m), 2, 2, 2, 4).out, TOL);
    const [dropped, scores] = m.call(x, x, { training: true, returnAttentionScores: true }) as [Tensor, Tensor];
    expectValues(scores, reference(x, x, x, weightsOf(m), 2, 2, 2, 4).scores, TOL, 'scores');
    const d = dropped.dataSync() as Float32Array;
    const p = plain.dataSync() as Float32Array;
    expect(Math.max(...d.map((v, i) => Math.abs(v - p[i])))).toBeGreaterThan(1e-3);
  });
});

describe('MultiHeadAttention against PyTorch nn.MultiheadAttention (weights converted)', () => {
  /** Keras' per-head kernels [E, H, d] → PyTorch's in_proj_weight [3E, E] (rows = outputs), out_proj [E, H·d] transposed. */
  function torchTwin(m: MultiHeadAttention, E: number, H: number): MultiheadAttention {
    const t = new MultiheadAttention(E, H, { batchFirst: true });
    const w = Object.fromEntries(m.namedWeights());
    const asLinear = (k: Tensor, rows: number) => transpose(reshape(k, [k.shape[0], rows]), [1, 0]);
    t.inProjWeight?.assign(
      concat([asLinear(w['query/kernel'], E), asLinear(w['key/kernel'], E), asLinear(w['value/kernel'], E)], 0),
    );
    t.inProjBias?.assign(
      concat([reshape(w['query/bias'], [E]), reshape(w['key/bias'], [E]), reshape(w['value/bias'], [E])], 0),
    );
    t.outProj.weight.assign(transpose(reshape(w['attention_output/kernel'], [E, E]), [1, 0]));
    t.outProj.bias?.assign(w['attention_output/bias']);
    return t;
  }

  it('gives the same output and per-head weights, with a causal mask and key padding', () => {
    const E = 6;
    const H = 3;
    const m = new MultiHeadAttention({ numHeads: H, keyDim: E / H, biasInitializer: 'random_uniform', seed: 6 });
    const q = seeded([2, 4, E], 11);
    const v = seeded([2, 5, E], 12);
    const keep = tensor([1, 1, 1, 1, 1, 1, 1, 1, 0, 0].map(Boolean), [2, 5], 'bool');
    const [y, s] = m.call(q, v, { valueMask: keep, returnAttentionScores: true }) as [Tensor, Tensor];
    const t = torchTwin(m, E, H);
    t.eval();
    // PyTorch's masks are true where attention is blocked.
    const [ty, ts] = t.call(q, v, v, { keyPaddingMask: logicalNot(keep), averageAttnWeights: false });
    expectValues(y, ty.dataSync(), TOL, 'output');
    expectValues(s, (ts as Tensor).dataSync(), TOL, 'weights');

    const x = seeded([2, 4, E], 13);
    const yc = m.call(x, x, { useCausalMask: true }) as Tensor;
    const [tc] = t.call(x, x, x, { isCausal: true });
    expectValues(yc, tc.dataSync(), TOL, 'causal output');
  });
});

describe('MultiHeadAttention gradients match finite differences', () => {
  it('w.r.t. the query, the value and every projection kernel and bias', async () => {
    const m = new MultiHeadAttention({
      numHeads: 2,
      keyDim: 2,
      valueDim: 3,
      outputShape: 2,
      biasInitializer: 'random_normal',
      seed: 7,
    });
    const q0 = seeded([1, 3, 3], 14);
    const v0 = seeded([1, 2, 4], 15);
    m.call(q0, v0);
    const projections = [m.query, m.key, m.value, m.output].map((p) => p as { kernel: Tensor; bias: Tensor | null });
    const f = (q: Tensor, v: Tensor, ...ws: Tensor[]): Tensor => {
      const saved = projections.map((p) => [p.kernel, p.bias] as const);
      projections.forEach((p, i) => {
        p.kernel = ws[2 * i];
        p.bias = ws[2 * i + 1];
      });
      try {
        return m.call(q, v, { useCausalMask: true }) as Tensor;
      } finally {
        projections.forEach((p, i) => ([p.kernel, p.bias] = saved[i]));
      }
    };
    await gradCheck(f, [q0, v0, ...projections.flatMap((p) => [p.kernel, p.bias as Tensor])], { eps: 1e-2 });
  });
});
