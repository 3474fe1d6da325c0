import * as T from '@tsdl/tensor';
import { expect } from 'vitest';
import { footprint } from '../tensor/helpers';
import {
  type Case,
  type Input,
  type Layout,
  afterRead,
  expectRef,
  expectTensor,
  fmt,
  input,
  registerCases,
  seededFor,
} from './harness';
import { type Ref, broadcastShape, ravel, sizeOf, unravel } from './reference';

/**
 * scaledDotProductAttention and attentionWeights against a float64 loop of
 * PyTorch's reference formula (softmax(q·kᵀ·scale + bias)·v): no mask, bool
 * masks (true = attend) and float masks broadcast over batch and heads, the
 * causal mask with L ≠ S, a custom scale, broadcast batch dimensions, strided
 * inputs; dropout by its identity with dropout of the weights; a fully masked
 * row is NaN; bad calls throw naming the op and leave memory unchanged.
 */

/** The value at `idx` (right-aligned, size-1 axes broadcast) of `r`. */
function at(r: Ref, idx: readonly number[]): number {
  const lead = idx.length - r.shape.length;
  return r.data[
    ravel(
      r.shape.map((d, i) => (d === 1 ? 0 : idx[lead + i])),
      r.shape,
    )
  ];
}

interface RefOptions {
  mask?: Ref & { bool: boolean };
  isCausal?: boolean;
  scale?: number;
}

/** softmax(q·kᵀ·scale + bias) over [..., L, S] in float64. */
function refWeights(q: Ref, k: Ref, o: RefOptions): Ref {
  const L = q.shape[q.shape.length - 2];
  const E = q.shape[q.shape.length - 1];
  const S = k.shape[k.shape.length - 2];
  const batch = broadcastShape(q.shape.slice(0, -2), k.shape.slice(0, -2)) as number[];
  const shape = [...batch, L, S];
  const scale = o.scale ?? 1 / Math.sqrt(E);
  const data = new Array<number>(sizeOf(shape));
  for (let r = 0; r < sizeOf([...batch, L]); r++) {
    const row: number[] = [];
    for (let j = 0; j < S; j++) {
      const idx = unravel(r * S + j, shape);
      const b = idx.slice(0, -2);
      const i = idx[idx.length - 2];
      let s = 0;
      for (let e = 0; e < E; e++) s += at(q, [...b, i, e]) * at(k, [...b, j, e]);
      s *= scale;
      if (o.isCausal && j > i) s = -Infinity;
      if (o.mask) {
        const m = at(o.mask, idx);
        s = o.mask.bool ? (m ? s : -Infinity) : s + m;
      }
      row.push(s);
    }
    const mx = Math.max(...row);
    const ex = row.map((v) => Math.exp(v - mx));
    const total = ex.reduce((a, b) => a + b, 0);
    ex.forEach((v, j) => (data[r * S + j] = v / total));
  }
  return { shape, data };
}

/** The weights times v: [..., L, Ev]. */
function refAttention(q: Ref, k: Ref, v: Ref, o: RefOptions): Ref {
  const w = refWeights(q, k, o);
  const S = w.shape[w.shape.length - 1];
  const L = w.shape[w.shape.length - 2];
  const Ev = v.shape[v.shape.length - 1];
  const batch = broadcastShape(w.shape.slice(0, -2), v.shape.slice(0, -2)) as number[];
  const shape = [...batch, L, Ev];
  const data = new Array<number>(sizeOf(shape)).fill(0);
  data.forEach((_, p) => {
    const idx = unravel(p, shape);
    const b = idx.slice(0, -2);
    let s = 0;
    for (let j = 0; j < S; j++) s += at(w, [...b, idx[idx.length - 2], j]) * at(v, [...b, j, idx[idx.length - 1]]);
    data[p] = s;
  });
  return { shape, data };
}

interface Setup {
  q: readonly number[];
  k: readonly number[];
  v: readonly number[];
  layout?: Layout;
  mask?: { shape: readonly number[]; dtype: 'bool' | 'float32' };
  isCausal?: boolean;
  scale?: number;
}

const SETUPS: readonly (Setup & { name: string })[] = [
  { name: 'no mask', q: [2, 3, 4], k: [2, 5, 4], v: [2, 5, 3] },
  {
    name: 'bool mask [3,5] broadcast',
    q: [2, 2, 3, 4],
    k: [2, 2, 5, 4],
    v: [2, 2, 5, 6],
    mask: { shape: [3, 5], dtype: 'bool' },
  },
  {
    name: 'bool mask [2,1,1,5] (key padding)',
    q: [2, 2, 3, 4],
    k: [2, 2, 5, 4],
    v: [2, 2, 5, 2],
    mask: { shape: [2, 1, 1, 5], dtype: 'bool' },
  },
  {
    name: 'float mask [2,3,5]',
    q: [2, 3, 4],
    k: [2, 5, 4],
    v: [2, 5, 3],
    mask: { shape: [2, 3, 5], dtype: 'float32' },
  },
  { name: 'causal L = S = 4', q: [2, 4, 4], k: [2, 4, 4], v: [2, 4, 4], isCausal: true },
  { name: 'causal L 4 > S 3', q: [4, 2], k: [3, 2], v: [3, 5], isCausal: true },
  { name: 'scale 0.25', q: [3, 8], k: [6, 8], v: [6, 2], scale: 0.25 },
  { name: 'key and value batch [1,2] broadcast', q: [3, 2, 2, 4], k: [1, 2, 3, 4], v: [1, 2, 3, 4] },
  {
    name: 'transposed inputs',
    q: [2, 3, 4],
    k: [2, 5, 4],
    v: [2, 5, 3],
    layout: 'transposed',
    mask: { shape: [3, 5], dtype: 'float32' },
  },
  {
    name: 'sliced inputs, bool mask',
    q: [2, 3, 4],
    k: [2, 4, 4],
    v: [2, 4, 2],
    layout: 'sliced',
    mask: { shape: [2, 3, 4], dtype: 'bool' },
  },
];

/** A mask whose every row keeps its first key (bool) or is finite there (float), so no row is fully masked. */
function makeMask(shape: readonly number[], dtype: 'bool' | 'float32', seed: number): Input {
  const n = sizeOf(shape);
  const S = shape[shape.length - 1];
  const u = seededFor('float32', n, seed, 0, 1);
  const vals = u.map((x, i) => {
    const first = i % S === 0;
    if (dtype === 'bool') return first || x < 0.6 ? 1 : 0;
    return !first && x < 0.25 ? -Infinity : Math.fround(x * 2 - 1);
  });
  return input(shape, dtype, 0, 'contiguous', vals);
}

function forwardCases(): Case[] {
  const cases: Case[] = [];
  SETUPS.forEach((s, n) => {
    cases.push({
      name: `scaledDotProductAttention ${s.name}: ${fmt(s.q)} ${fmt(s.k)} ${fmt(s.v)}`,
      run: () => {
        const q = input(s.q, 'float32', 4100 + n, s.layout, seededFor('float32', sizeOf(s.q), 4100 + n, -1.5, 1.5));
        const k = input(s.k, 'float32', 4200 + n, s.layout, seededFor('float32', sizeOf(s.k), 4200 + n, -1.5, 1.5));
        const v = input(s.v, 'float32', 4300 + n, s.layout);
        const m = s.mask ? makeMask(s.mask.shape, s.mask.dtype, 4400 + n) : undefined;
        const options = { mask: m?.t, isCausal: s.isCausal, scale: s.scale };
        const refOptions: RefOptions = {
          mask: m ? { ...m.ref, bool: s.mask?.dtype === 'bool' } : undefined,
          isCausal: s.isCausal,
          scale: s.scale,
        };
        const tol = { atol: 1e-5, rtol: 1e-4 };
        expectRef(
          T.scaledDotProductAttention(q.t, k.t, v.t, options),
          refAttention(q.ref, k.ref, v.ref, refOptions),
          'float32',
          tol,
          'output',
        );
        expectRef(
          T.attentionWeights(q.t, k.t, options),
          refWeights(q.ref, k.ref, refOptions),
          'float32',
          tol,
          'weights',
        );
      },
    });
  });
  cases.push(
    {
      name: 'attention weights of a known case: equal scores share evenly, a blocked key gets 0',
      run: () => {
        const q = T.tensor([1, 0, 0, 1], [2, 2]);
        const k = T.tensor([1, 0, 1, 0, 0, 1], [3, 2]);
        const mask = T.tensor([true, true, true, true, false, true], [2, 3]);
        // Row 0 scores (scale 1): 1, 1, 0; row 1: 0, 0, 1 with key 1 blocked.
        const e = Math.E;
        expectTensor(T.attentionWeights(q, k, { mask, scale: 1 }), [2, 3], 'float32', [
          e / (2 * e + 1),
          e / (2 * e + 1),
          1 / (2 * e + 1),
          1 / (1 + e),
          0,
          e / (1 + e),
        ]);
        const v = T.tensor([1, 2, 3], [3, 1]);
        expectTensor(T.scaledDotProductAttention(q, k, v, { mask, scale: 1 }), [2, 1], 'float32', [
          (3 * e + 3) / (2 * e + 1),
          (1 + 3 * e) / (1 + e),
        ]);
      },
    },
    {
      name: 'a query whose keys are all masked out gives NaN (as PyTorch), the other rows are finite',
      run: () => {
        const q = input([2, 3], 'float32', 4501).t;
        const k = input([4, 3], 'float32', 4502).t;
        const v = input([4, 2], 'float32', 4503).t;
        const mask = T.tensor([false, false, false, false, true, false, true, true], [2, 4]);
        afterRead([T.scaledDotProductAttention(q, k, v, { mask })], ([o]) => {
          expect(Array.from(o.slice(0, 2)).every(Number.isNaN)).toBe(true);
          expect(Array.from(o.slice(2)).every(Number.isFinite)).toBe(true);
        });
        const blocked = T.tensor([0, 0, 0, 0, -Infinity, 0, 0, 0], [2, 4]);
        afterRead(
          [
            T.attentionWeights(T.tensor([1, 2], [1, 2]), T.tensor([1, 0, 0, 1], [2, 2]), {
              mask: T.tensor([-Infinity, -Infinity], [2]),
            }),
          ],
          ([w]) => {
            expect(Array.from(w).every(Number.isNaN)).toBe(true);
          },
        );
        afterRead([T.attentionWeights(q, k, { mask: blocked })], ([w]) => {
          expect(Array.from(w).every(Number.isFinite)).toBe(true);
          expect(w[4]).toBe(0);
        });
      },
    },
    {
      name: 'dropout: the weights through dropout with the same seed, then times v; 0 and training-free identity; 1 gives zeros',
      run: () => {
        const q = input([2, 3, 4], 'float32', 4601).t;
        const k = input([2, 5, 4], 'float32', 4602).t;
        const v = input([2, 5, 3], 'float32', 4603).t;
        const want = T.matmul(T.dropout(T.attentionWeights(q, k), 0.5, { seed: 77 }), v);
        afterRead([T.scaledDotProductAttention(q, k, v, { dropout: 0.5, seed: 77 }), want], ([got, w]) => {
          expect(Array.from(got)).toEqual(Array.from(w));
        });
        afterRead(
          [T.scaledDotProductAttention(q, k, v, { dropout: 0 }), T.scaledDotProductAttention(q, k, v)],
          ([a, b]) => {
            expect(Array.from(a)).toEqual(Array.from(b));
          },
        );
        expectTensor(
          T.scaledDotProductAttention(q, k, v, { dropout: 1 }),
          [2, 3, 3],
          'float32',
          new Array<number>(18).fill(0),
        );
      },
    },
    {
      name: 'errors name the op, the argument and the shapes; nothing leaks',
      run: () => {
        const q = T.zeros([2, 3, 4]);
        const k = T.zeros([2, 5, 4]);
        const v = T.zeros([2, 5, 6]);
        const k3 = T.zeros([2, 5, 3]);
        const v4 = T.zeros([2, 4, 6]);
        const kb = T.zeros([3, 5, 4]);
        const vb = T.zeros([3, 5, 6]);
        const q1 = T.zeros([4]);
        const qi = T.zeros([2, 3, 4], 'int32');
        const m34 = T.zeros([3, 4], 'bool');
        const m435 = T.zeros([4, 3, 5], 'bool');
        const mInt = T.zeros([3, 5], 'int32');
        const m35 = T.zeros([3, 5], 'bool');
        const before = footprint();
        const sdpa = T.scaledDotProductAttention;
        expect(() => sdpa(q, k3, v)).toThrow(
          /^scaledDotProductAttention: query \[2,3,4\] and key \[2,5,3\] must end in the same embedding size/,
        );
        expect(() => sdpa(q, k, v4)).toThrow(
          /^scaledDotProductAttention: key \[2,5,4\] and value \[2,4,6\] must have the same sequence length/,
        );
        expect(() => sdpa(q, kb, vb)).toThrow(
          /^scaledDotProductAttention: the batch dimensions of query \[2,3,4\] and key \[3,5,4\] cannot be broadcast/,
        );
        expect(() => sdpa(q, k, vb)).toThrow(T.ShapeError);
        expect(() => sdpa(q1, k, v)).toThrow(/^scaledDotProductAttention: query must have rank >= 2/);
        expect(() => sdpa(qi, k, v)).toThrow(T.DTypeError);
        expect(() => sdpa(q, k, v, { mask: m34 })).toThrow(
          /^scaledDotProductAttention: mask of shape \[3,4\] does not broadcast to the attention scores \[2,3,5\]/,
        );
        expect(() => sdpa(q, k, v, { mask: m435 })).toThrow(T.ShapeError);
        expect(() => sdpa(q, k, v, { mask: mInt })).toThrow(
          /^scaledDotProductAttention: mask must be bool .* or float32 .*, got int32/,
        );
        expect(() => sdpa(q, k, v, { mask: m35, isCausal: true })).toThrow(
          /^scaledDotProductAttention: pass either mask or isCausal/,
        );
        expect(() => sdpa(q, k, v, { dropout: 1.5 })).toThrow(
          /^scaledDotProductAttention: dropout must be a probability/,
        );
        expect(() => sdpa(q, k, v, { scale: Number.NaN })).toThrow(
          /^scaledDotProductAttention: scale must be a finite number/,
        );
        expect(() => sdpa(q, k, v, { causal: true } as never)).toThrow(
          /^scaledDotProductAttention: unknown option 'causal'/,
        );
        expect(() => sdpa(q, k, v, { isCausal: 1 } as never)).toThrow(
          /^scaledDotProductAttention: option 'isCausal' must be a boolean/,
        );
        expect(() => sdpa(q, k, 'v' as never)).toThrow(
          /^scaledDotProductAttention: argument 3 \(value\) must be a Tensor/,
        );
        expect(() => T.attentionWeights(q, k, { dropout: 0.1 } as never)).toThrow(
          /^attentionWeights: unknown option 'dropout'/,
        );
        expect(() => T.attentionWeights(q, k, { isCausal: 'yes' } as never)).toThrow(T.ArgumentError);
        expect(footprint()).toEqual(before);
      },
    },
  );
  return cases;
}

export function registerAttention(): void {
  registerCases('scaledDotProductAttention', forwardCases());
}
