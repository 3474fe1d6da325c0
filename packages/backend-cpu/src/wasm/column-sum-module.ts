import { ModuleBuilder, SIMD, T } from './emitter';

/**
 * Column sums of a row-major float32 [rows, cols] block into float64 accumulators, two columns
 * per f64x2: the gradient of a broadcast bias (a sum over the batch and every spatial position,
 * 43k rows of 32 channels in the MNIST CNN's first layer), where the JS loop took ~1.3 ns an
 * element. Each column is summed in row order in float64, as the JS kernel does, so the results
 * are the same to the bit.
 *
 * columnSum(src, acc, rows, cols): src and acc are byte addresses, acc 8-byte aligned with cols
 * float64 values that the sums are added to; cols must be even (pairs of floats are loaded as
 * 64-bit lanes).
 */
export interface ColumnSumExports {
  columnSum(src: number, acc: number, rows: number, cols: number): void;
}

export function columnSumModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 0, 65536, shared);
  m.func('columnSum', [T.i32, T.i32, T.i32, T.i32], [], (c, src, acc, rows, cols) => {
    const r = c.local(T.i32);
    const j = c.local(T.i32);
    const p = c.local(T.i32);
    const a = c.local(T.i32);
    c.get(src).set(p);
    c.for(r, 0, rows, 1, () => {
      c.get(acc).set(a);
      c.for(j, 0, cols, 2, () => {
        // acc[j..j+1] += f64(src[r, j..j+1])
        c.get(a);
        c.get(a).v128Load();
        c.get(p).simdMem(SIMD.v128_load64_zero, 0);
        c.simd(SIMD.f64x2_promote_low_f32x4).simd(SIMD.f64x2_add);
        c.v128Store();
        c.addTo(p, 8).addTo(a, 16);
      });
    });
  });
  return m.bytes();
}
