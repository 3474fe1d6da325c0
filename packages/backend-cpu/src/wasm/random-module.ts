import { type Code, type Local, ModuleBuilder, OP, SIMD, T } from './emitter';

/**
 * Uniform random floats in wasm SIMD, four counters at a time, bit for bit
 * the formula of @tsdl/tensor's randomUniform (so every backend still gives
 * the same values for the same key): bits = mix32(mix32(i ^ key) + key),
 * value = (bits >>> 8) · 2^-24, where mix32 is xor-shifts and 32-bit
 * multiplies, all of which SIMD has. Dropout draws one per activation every
 * step; the JavaScript loop took ~19 µs of a 0.7 ms MNIST step for 4,096.
 */
export interface RandomExports {
  /** out[0 .. n − n % 4) (byte address, float32) = uniform values for counters 0, 1, …; the caller fills the last n % 4. */
  uniform(out: number, n: number, key: number): void;
}

/** x ^= x >>> s on the v128 in local x. */
function xorShift(c: Code, x: Local, s: number): void {
  c.get(x).get(x).i32(s).simd(SIMD.i32x4_shr_u).simd(SIMD.v128_xor).set(x);
}

/** mix32 (Wellons' lowbias32) on four lanes, in place. */
function mix(c: Code, x: Local): void {
  xorShift(c, x, 16);
  c.get(x).i32x4Const(0x7feb352d).simd(SIMD.i32x4_mul).set(x);
  xorShift(c, x, 15);
  c.get(x)
    .i32x4Const(0x846ca68b | 0)
    .simd(SIMD.i32x4_mul)
    .set(x);
  xorShift(c, x, 16);
}

export function randomModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 0, 65536, shared);
  m.func('uniform', [T.i32, T.i32, T.i32], [], (c, out, n, key) => {
    const end = c.local(T.i32);
    const ctr = c.local(T.v128);
    const k = c.local(T.v128);
    const x = c.local(T.v128);
    // end = out + (n & ~3)·4
    c.get(n).i32(-4).op(OP.i32_and).i32(2).op(OP.i32_shl).get(out).op(OP.i32_add).set(end);
    c.i32x4Const(0, 1, 2, 3).set(ctr);
    c.get(key).simd(SIMD.i32x4_splat).set(k);
    c.block(() => {
      c.loop(() => {
        c.get(out).get(end).op(OP.i32_ge_u).brIf(1);
        c.get(ctr).get(k).simd(SIMD.v128_xor).set(x);
        mix(c, x);
        c.get(x).get(k).simd(SIMD.i32x4_add).set(x);
        mix(c, x);
        c.get(out);
        c.get(x)
          .i32(8)
          .simd(SIMD.i32x4_shr_u)
          .simd(SIMD.f32x4_convert_i32x4_u)
          .f32x4Const(5.960464477539063e-8)
          .simd(SIMD.f32x4_mul);
        c.v128Store();
        c.get(ctr).i32x4Const(4).simd(SIMD.i32x4_add).set(ctr);
        c.addTo(out, 16).br(0);
      });
    });
  });
  return m.bytes();
}
