import * as T from '@tsdl/tensor';
import type { DType } from '@tsdl/tensor';
import { expect } from 'vitest';
import { type Case, type Layout, expectRef, expectTensor, fmt, input, registerCases } from './harness';
import { type Ref, matmul as refMatmul, transpose as refTranspose } from './reference';

/**
 * matmul with NumPy's rules (2-D, batched, broadcast batch dims, 1-D operands
 * whose axis is dropped, transposed and strided views, size-0 dimensions,
 * K past the kernel's cache block), dot and outer.
 */

interface MatmulCase {
  a: readonly number[];
  b: readonly number[];
  la?: Layout;
  lb?: Layout;
  da?: DType;
  db?: DType;
  transposeA?: boolean;
  transposeB?: boolean;
}

const MATMUL: readonly MatmulCase[] = [
  { a: [3, 4], b: [4, 5] },
  { a: [1, 1], b: [1, 1] },
  { a: [6, 5], b: [5, 3] }, // a row block of 4 and a remainder
  { a: [5, 300], b: [300, 3] }, // K past one cache block of 256
  { a: [2, 3, 4], b: [2, 4, 5] },
  { a: [2, 1, 3, 4], b: [3, 4, 5] },
  { a: [1, 3, 4], b: [2, 4, 2] },
  { a: [2, 1, 3, 4], b: [1, 2, 4, 2] },
  { a: [3, 4], b: [2, 2, 4, 3] },
  { a: [4], b: [4, 5] },
  { a: [3, 4], b: [4] },
  { a: [4], b: [4] },
  { a: [4], b: [2, 4, 5] },
  { a: [2, 3, 4], b: [4] },
  { a: [3, 4], b: [4, 5], la: 'transposed' },
  { a: [3, 4], b: [4, 5], lb: 'transposed' },
  { a: [3, 4], b: [4, 5], la: 'transposed', lb: 'transposed' },
  { a: [2, 3, 4], b: [2, 4, 5], la: 'transposed', lb: 'sliced' },
  { a: [2, 3, 4], b: [2, 4, 5], la: 'sliced', lb: 'broadcast' },
  { a: [2, 3, 4], b: [4, 5], la: 'broadcast' },
  { a: [4], b: [4, 3], la: 'sliced', lb: 'transposed' },
  { a: [3, 0], b: [0, 2] },
  { a: [0, 4], b: [4, 2] },
  { a: [3, 4], b: [4, 0] },
  { a: [0, 3, 4], b: [4, 2] },
  { a: [2, 3, 0], b: [2, 0, 4] },
  { a: [3, 4], b: [4, 2], da: 'int32', db: 'int32' },
  { a: [3, 4], b: [4, 2], da: 'bool', db: 'float32' },
  { a: [2, 3, 4], b: [4], da: 'int32', db: 'bool' },
  { a: [4, 3], b: [4, 5], transposeA: true },
  { a: [3, 4], b: [5, 4], transposeB: true },
  { a: [2, 4, 3], b: [2, 5, 4], transposeA: true, transposeB: true },
  { a: [4, 3], b: [5, 4], transposeA: true, transposeB: true, la: 'transposed', lb: 'sliced' },
];

/** The last two axes swapped (what transposeA / transposeB mean). */
function swapLast(r: Ref): Ref {
  if (r.shape.length < 2) return r;
  const perm = r.shape.map((_, i) => i);
  [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
  return refTranspose(r, perm);
}

function matmulCases(): Case[] {
  return MATMUL.map((c, k) => {
    const opts =
      c.transposeA || c.transposeB ? ` {${c.transposeA ? 'transposeA' : ''}${c.transposeB ? ' transposeB' : ''}}` : '';
    const desc = (s: readonly number[], l?: Layout, d?: DType) => `${d ?? ''} ${fmt(s)}${l ? ` ${l}` : ''}`.trim();
    return {
      name: `matmul ${desc(c.a, c.la, c.da)} · ${desc(c.b, c.lb, c.db)}${opts}`,
      run: () => {
        const a = input(c.a, c.da ?? 'float32', 500 + k, c.la);
        const b = input(c.b, c.db ?? 'float32', 600 + k, c.lb);
        const expected = refMatmul(c.transposeA ? swapLast(a.ref) : a.ref, c.transposeB ? swapLast(b.ref) : b.ref);
        const K = c.transposeA ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
        const y = T.matmul(a.t, b.t, { transposeA: c.transposeA, transposeB: c.transposeB });
        // float32 accumulation over K terms: the error grows with K.
        expectRef(y, expected, 'float32', { atol: 1e-6 * Math.max(K, 10), rtol: 1e-4 });
      },
    };
  });
}

const KNOWN: readonly Case[] = [
  {
    name: 'matmul on hand-computed values',
    run: () => {
      const a = T.tensor([
        [1, 2],
        [3, 4],
      ]);
      const b = T.tensor([
        [5, 6],
        [7, 8],
      ]);
      expectTensor(T.matmul(a, b), [2, 2], 'float32', [19, 22, 43, 50]);
      expectTensor(T.matmul(a, b, { transposeA: true }), [2, 2], 'float32', [26, 30, 38, 44]);
      expectTensor(T.matmul(a.T, b), [2, 2], 'float32', [26, 30, 38, 44]);
    },
  },
  {
    name: 'matmul propagates NaN and Infinity as IEEE arithmetic does (0 · Infinity is NaN)',
    run: () => {
      const a = T.tensor([
        [0, 1],
        [1, 1],
        [0, 0],
        [2, 0],
        [NaN, 0],
      ]);
      const b = T.tensor([
        [Infinity, 1],
        [1, NaN],
      ]);
      expectTensor(T.matmul(a, b), [5, 2], 'float32', [NaN, NaN, Infinity, NaN, NaN, NaN, Infinity, NaN, NaN, NaN]);
      // A zero in a: 0 · Infinity and 0 · NaN still poison the sum (a kernel must not skip zero terms).
      expectTensor(
        T.matmul(
          T.tensor([[1, 0]]),
          T.tensor([
            [1, 1],
            [Infinity, NaN],
          ]),
        ),
        [1, 2],
        'float32',
        [NaN, NaN],
      );
      expectTensor(
        T.matmul(
          T.tensor([
            [0, 1],
            [0, 1],
            [0, 1],
            [0, 1],
          ]),
          T.tensor([[Infinity], [1]]),
        ),
        [4, 1],
        'float32',
        [NaN, NaN, NaN, NaN],
      );
    },
  },
  {
    name: 'dot of 1-D tensors is their inner product (a 0-d tensor); of 2-D tensors, matmul',
    run: () => {
      expectTensor(T.dot(T.tensor([1, 2, 3]), T.tensor([4, -5, 6])), [], 'float32', [12]);
      expectTensor(T.dot(T.tensor([[1, 2]]), T.tensor([[3], [4]])), [1, 1], 'float32', [11]);
      const a = input([3, 4], 'float32', 701, 'transposed');
      const b = input([4], 'float32', 702, 'sliced');
      expectRef(T.dot(a.t, b.t), refMatmul(a.ref, b.ref), 'float32');
    },
  },
  {
    name: 'outer of [n] and [m] is [n,m]; dtypes follow arithmetic promotion',
    run: () => {
      expectTensor(T.outer(T.tensor([1, 2, 3]), T.tensor([4, 5])), [3, 2], 'float32', [4, 5, 8, 10, 12, 15]);
      expectTensor(
        T.outer(T.tensor(new Int32Array([1, -2])), T.tensor(new Int32Array([3, 4]))),
        [2, 2],
        'int32',
        [3, 4, -6, -8],
      );
      expectTensor(T.outer(T.tensor([true, false]), T.tensor([true])), [2, 1], 'int32', [1, 0]);
      const a = input([4], 'float32', 703, 'sliced');
      const b = input([0], 'float32', 704);
      expectTensor(T.outer(a.t, b.t), [4, 0], 'float32', []);
    },
  },
  {
    name: 'bad shapes throw ShapeError naming the op and the shapes',
    run: () => {
      expect(() => T.matmul(T.zeros([3, 4]), T.zeros([5, 2]))).toThrow(/matmul.*\[3,4\].*\[5,2\]/);
      expect(() => T.matmul(T.zeros([2, 3, 4]), T.zeros([3, 4, 5]))).toThrow(T.ShapeError);
      expect(() => T.matmul(T.scalar(1), T.zeros([2]))).toThrow(T.ShapeError);
      expect(() => T.outer(T.zeros([2, 2]), T.zeros([2]))).toThrow(/outer/);
    },
  },
];

export function registerLinalg(): void {
  registerCases('matmul', matmulCases());
  registerCases('linalg on known values', KNOWN);
}
