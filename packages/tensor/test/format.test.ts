import { describe, expect, it } from 'vitest';
import { formatTensor } from '../src/format';

// Expected strings are NumPy's repr of the same arrays, with tsdl's Tensor(..., shape, dtype) frame.
describe('formatTensor', () => {
  it('aligns float columns on the decimal point', () => {
    expect(formatTensor(new Float32Array([1.5, 2, 3, -4]), [2, 2], 'float32')).toBe(
      'Tensor([[ 1.5,  2. ],\n [ 3. , -4. ]], shape=[2,2], dtype=float32)',
    );
    expect(formatTensor(new Float32Array([7.5, 12]), [2], 'float32')).toBe(
      'Tensor([ 7.5, 12. ], shape=[2], dtype=float32)',
    );
  });
  it('right-aligns nan and infinities to the column width', () => {
    expect(formatTensor(new Float32Array([NaN, Infinity, -Infinity, 0.5]), [4], 'float32')).toBe(
      'Tensor([ nan,  inf, -inf,  0.5], shape=[4], dtype=float32)',
    );
    expect(formatTensor(new Float32Array([NaN, 1]), [2], 'float32')).toBe(
      'Tensor([nan,  1.], shape=[2], dtype=float32)',
    );
  });
  it('prints ints, bools and scalars', () => {
    expect(formatTensor(new Int32Array([1, -20]), [2], 'int32')).toBe('Tensor([  1, -20], shape=[2], dtype=int32)');
    expect(formatTensor(new Uint8Array([1, 0]), [2], 'bool')).toBe('Tensor([ true, false], shape=[2], dtype=bool)');
    expect(formatTensor(new Float32Array([2]), [], 'float32')).toBe('Tensor(2., shape=[], dtype=float32)');
  });
  it('elides past 1000 elements with 3 entries each side', () => {
    const a = Int32Array.from({ length: 1001 }, (_, i) => i);
    expect(formatTensor(a, [1001], 'int32')).toBe(
      'Tensor([   0,    1,    2, ...,  998,  999, 1000], shape=[1001], dtype=int32)',
    );
    const small = Int32Array.from({ length: 1000 }, (_, i) => i);
    expect(formatTensor(small, [1000], 'int32')).not.toContain('...');
  });
});
