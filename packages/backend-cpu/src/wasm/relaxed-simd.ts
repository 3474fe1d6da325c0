import { ModuleBuilder, SIMD, T } from './emitter';

/**
 * Whether this engine validates `f32x4.relaxed_madd` (relaxed SIMD: on by
 * default from V8 11.4, i.e. Chrome 114 and Node 22; Node 20 has it behind
 * `--experimental-wasm-relaxed-simd`), probed by validating a tiny module
 * that uses it, so a kernel emits it only where it compiles.
 */
export function relaxedMaddSupported(): boolean {
  try {
    const m = new ModuleBuilder();
    m.func('probe', [], [T.v128], (c) => {
      c.f32x4Const(1).f32x4Const(2).f32x4Const(3).simd(SIMD.f32x4_relaxed_madd);
    });
    return WebAssembly.validate(m.bytes());
  } catch {
    return false;
  }
}
