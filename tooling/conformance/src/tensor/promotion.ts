import {
  type DType,
  type Tensor,
  abs,
  add,
  argmax,
  cast,
  concat,
  div,
  eq,
  exp,
  logicalAnd,
  matmul,
  max,
  maximum,
  mean,
  mul,
  neg,
  pow,
  prod,
  softmax,
  sub,
  sum,
  tensor,
  tidy,
  where,
} from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context';

const F = (v: number[]) => tensor(v, undefined, 'float32');
const I = (v: number[]) => tensor(v, undefined, 'int32');
const B = (v: boolean[]) => tensor(v, undefined, 'bool');

/**
 * End-to-end dtype rules (docs/architecture.md, "Dtypes"; dtype.ts):
 * bool < int32 < float32, arithmetic lifts bool to int32, JS numbers are weak
 * (an integer keeps int32, a fraction gives float32), div and float functions
 * give float32, comparisons and logic give bool.
 */
const CASES: [string, () => Tensor, DType, number[]][] = [
  ['float32 + int32 -> float32', () => add(F([1.5, -2]), I([1, 2])), 'float32', [2.5, 0]],
  ['int32 + float32 -> float32', () => add(I([1, 2]), F([0.25, 0.5])), 'float32', [1.25, 2.5]],
  ['int32 + bool -> int32', () => add(I([1, 2]), B([true, false])), 'int32', [2, 2]],
  [
    'bool + bool -> int32 (true + true = 2)',
    () => add(B([true, true, false]), B([true, false, false])),
    'int32',
    [2, 1, 0],
  ],
  ['bool - bool -> int32', () => sub(B([false, true]), B([true, true])), 'int32', [-1, 0]],
  ['bool * bool -> int32', () => mul(B([true, true, false]), B([true, false, true])), 'int32', [1, 0, 0]],
  ['int32 + 2.5 -> float32 (a fraction lifts int32)', () => add(I([1, -3]), 2.5), 'float32', [3.5, -0.5]],
  ['2.5 * int32 -> float32 (scalar on the left)', () => mul(2.5, I([2, 4])), 'float32', [5, 10]],
  ['int32 + 2 -> int32 (an integer keeps int32)', () => add(I([1, -3]), 2), 'int32', [3, -1]],
  ['int32 * -3 -> int32', () => mul(I([2, -4]), -3), 'int32', [-6, 12]],
  ['bool + 1 -> int32', () => add(B([true, false]), 1), 'int32', [2, 1]],
  ['bool + 0.5 -> float32', () => add(B([true, false]), 0.5), 'float32', [1.5, 0.5]],
  ['float32 + 2 -> float32', () => add(F([0.5]), 2), 'float32', [2.5]],
  ['int32 / int32 -> float32 (true division)', () => div(I([7, -7]), I([2, 2])), 'float32', [3.5, -3.5]],
  ['int32 ** 2 -> int32', () => pow(I([3, -2]), 2), 'int32', [9, 4]],
  ['maximum(int32, float32) -> float32', () => maximum(I([1, 5]), F([2.5, 0.5])), 'float32', [2.5, 5]],
  ['eq(int32, float32) -> bool', () => eq(I([1, 2]), F([1, 2.5])), 'bool', [1, 0]],
  [
    'logicalAnd(float32, float32) -> bool (non-zero is true)',
    () => logicalAnd(F([0.5, 0, -2]), F([3, 1, 0.25])),
    'bool',
    [1, 0, 1],
  ],
  ['neg(bool) -> int32', () => neg(B([true, false])), 'int32', [-1, 0]],
  ['abs(int32) -> int32', () => abs(I([-3, 4])), 'int32', [3, 4]],
  ['exp(int32) -> float32', () => exp(I([0])), 'float32', [1]],
  ['sum(bool) -> int32 (a count)', () => sum(B([true, true, false, true])), 'int32', [3]],
  ['sum(int32) -> int32', () => sum(I([2, 3, 4])), 'int32', [9]],
  ['prod(bool) -> int32', () => prod(B([true, true])), 'int32', [1]],
  ['max(bool) -> bool', () => max(B([false, true])), 'bool', [1]],
  ['mean(int32) -> float32', () => mean(I([1, 2, 3, 4])), 'float32', [2.5]],
  ['argmax -> int32', () => argmax(F([0.5, 3, -1])), 'int32', [1]],
  ['concat(int32, float32) -> float32', () => concat([I([1]), F([0.5])]), 'float32', [1, 0.5]],
  ['concat(bool, int32) -> int32', () => concat([B([true]), I([7])]), 'int32', [1, 7]],
  ['where(cond, int32, 2.5) -> float32', () => where(B([true, false]), I([1, 2]), 2.5), 'float32', [1, 2.5]],
  ['where(cond, int32, bool) -> int32', () => where(B([true, false]), I([5, 6]), B([true, true])), 'int32', [5, 1]],
  ['where(cond, 1, 2) -> int32', () => where(B([true, false]), 1, 2), 'int32', [1, 2]],
  ['matmul(int32, int32) computes in float32', () => matmul(I([1, 2]), I([3, 4])), 'float32', [11]],
  ['softmax(int32) -> float32', () => softmax(I([0, 0])), 'float32', [0.5, 0.5]],
  [
    'cast float32 -> int32 truncates toward zero',
    () => cast(F([-1.7, 1.7, 2.5, -0.5]), 'int32'),
    'int32',
    [-1, 1, 2, 0],
  ],
  ['cast float32 -> bool is value != 0 (NaN is true)', () => cast(F([0, 0.1, -2, NaN]), 'bool'), 'bool', [0, 1, 1, 1]],
  ['cast bool -> float32 is 0/1', () => cast(B([true, false]), 'float32'), 'float32', [1, 0]],
];

export function registerPromotion(_ctx: ConformanceContext): void {
  describe('dtype promotion end to end', () => {
    for (const [name, make, dtype, want] of CASES) {
      it(name, async () => {
        const out = tidy(make);
        expect(out.dtype).toBe(dtype);
        expect(Array.from(await out.data(), Number)).toEqual(want);
        out.dispose();
      });
    }
  });

  describe('host arrays in', () => {
    it('a Uint8Array is stored as int32 without wrapping', async () => {
      const t = tensor(new Uint8Array([0, 128, 255]));
      expect(t.dtype).toBe('int32');
      expect(Array.from(await t.data())).toEqual([0, 128, 255]);
      t.dispose();
    });
    it('other integer arrays are int32 too, signs kept', async () => {
      for (const a of [
        new Int8Array([-1, 127]),
        new Int16Array([-1, 127]),
        new Uint16Array([65535, 1]),
        new Uint8ClampedArray([255, 1]),
      ]) {
        const t = tensor(a);
        expect(t.dtype).toBe('int32');
        expect(Array.from(await t.data())).toEqual(Array.from(a));
        t.dispose();
      }
    });
    it('a Uint8Array with an explicit dtype converts to it; as bool every non-zero byte is true', async () => {
      const f = tensor(new Uint8Array([0, 2, 255]), undefined, 'float32');
      expect(f.dtype).toBe('float32');
      expect(Array.from(await f.data())).toEqual([0, 2, 255]);
      const b = tensor(new Uint8Array([0, 2, 255]), undefined, 'bool');
      expect(b.dtype).toBe('bool');
      expect(Array.from(await b.data())).toEqual([0, 1, 1]);
      const isTrue = eq(b, tensor([true, true, true]));
      expect(Array.from(await isTrue.data())).toEqual([0, 1, 1]);
      [f, b, isTrue].forEach((x) => x.dispose());
    });
    it('a Float64Array is rounded to float32; nested booleans give bool; plain numbers give float32', async () => {
      const d = tensor(new Float64Array([0.1, 1e40]));
      expect(d.dtype).toBe('float32');
      expect(Array.from(await d.data())).toEqual([Math.fround(0.1), Infinity]);
      const b = tensor([[true], [false]]);
      expect(b.dtype).toBe('bool');
      expect(b.shape).toEqual([2, 1]);
      const n = tensor([1, 2]);
      expect(n.dtype).toBe('float32');
      [d, b, n].forEach((x) => x.dispose());
    });
    it('the tensor does not alias the caller\u2019s array', async () => {
      const src = new Float32Array([1, 2, 3]);
      const t = tensor(src);
      src[0] = 99;
      expect(Array.from(await t.data())).toEqual([1, 2, 3]);
      const out = await t.data();
      out[1] = 99;
      expect(Array.from(await t.data())).toEqual([1, 2, 3]);
      t.dispose();
    });
  });
}
