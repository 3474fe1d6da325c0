import { type Code, ModuleBuilder, OP, SIMD, T } from './emitter';
import { emitExp, emitLog } from './simd-math';

/**
 * Softmax or log-softmax over the rows of a row-major float32 [rows, cols] block, four
 * lanes at a time with simd-math's exp: the JavaScript kernel's Math.exp per element
 * was ~8 ns an element (6 ms of a GPT step, the attention's [12,4,64,64] rows, forward).
 *
 * Per row, as the JavaScript kernel: the max m (0 for a row of −Infinity, so that row
 * gives NaN; a NaN anywhere gives a NaN row), e = exp(x − m) written to dst and summed in
 * float64, then dst = e · (1/Σ) or (x − m) − log Σ. The last vector of a row is masked
 * (lanes past the row read as −Infinity, so they add nothing), and it writes up to 3
 * values past the row's end: the next row overwrites them, or the room every heap block
 * keeps past its request (OVERRUN in heap.ts).
 *
 * softmaxRows(src, dst, rows, cols, log): byte addresses; src and dst must not overlap.
 */
export interface SoftmaxExports {
  softmaxRows(src: number, dst: number, rows: number, cols: number, log: number): void;
}

export function softmaxModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 0, 65536, shared);
  m.func('softmaxRows', [T.i32, T.i32, T.i32, T.i32, T.i32], [], (c, src, dst, rows, cols, log) => {
    const r = c.local(T.i32);
    const j = c.local(T.i32);
    const pa = c.local(T.i32);
    const pb = c.local(T.i32);
    const rowA = c.local(T.i32);
    const rowB = c.local(T.i32);
    const full = c.local(T.i32);
    const cols4 = c.local(T.i32);
    const mask = c.local(T.v128);
    const mv = c.local(T.v128);
    const mvec = c.local(T.v128);
    const acc = c.local(T.v128);
    const t = c.local(T.v128);
    const e = c.local(T.v128);
    const scale = c.local(T.v128);
    const mx = c.local(T.f32);
    const s = c.local(T.f64);

    // Lanes below cols mod 4 (the tail vector's valid lanes), the full vectors' count, and cols rounded up.
    c.i32x4Const(0, 1, 2, 3).get(cols).i32(3).op(OP.i32_and).simd(SIMD.i32x4_splat).simd(SIMD.i32x4_lt_s).set(mask);
    c.get(cols).i32(-4).op(OP.i32_and).set(full);
    c.get(cols).i32(3).op(OP.i32_add).i32(-4).op(OP.i32_and).set(cols4);
    c.get(src).set(rowA);
    c.get(dst).set(rowB);
    const tailLoaded = (): void => {
      // x at pa with the lanes past the row as −Infinity.
      c.get(pa).v128Load().f32x4Const(-Infinity).get(mask).simd(SIMD.v128_bitselect);
    };
    const hasTail = (): Code => c.get(full).get(cols).op(OP.i32_lt_s);
    c.for(r, 0, rows, 1, () => {
      // The row's max.
      c.f32x4Const(-Infinity).set(mv);
      c.get(rowA).set(pa);
      c.for(j, 0, full, 4, () => {
        c.get(mv).get(pa).v128Load().simd(SIMD.f32x4_max).set(mv);
        c.addTo(pa, 16);
      });
      hasTail().if(() => {
        c.get(mv);
        tailLoaded();
        c.simd(SIMD.f32x4_max).set(mv);
      });
      c.get(mv).simd(SIMD.f32x4_extract_lane, 0).get(mv).simd(SIMD.f32x4_extract_lane, 1).op(OP.f32_max);
      c.get(mv).simd(SIMD.f32x4_extract_lane, 2).get(mv).simd(SIMD.f32x4_extract_lane, 3).op(OP.f32_max);
      c.op(OP.f32_max).set(mx);
      // −Infinity → 0
      c.f32(0).get(mx).get(mx).f32(-Infinity).op(OP.f32_eq).op(OP.select).simd(SIMD.f32x4_splat).set(mvec);

      // e = exp(x − m) to dst, Σ e in two float64 lanes.
      c.i32x4Const(0).set(acc);
      const expStep = (load: () => void): void => {
        load();
        c.get(mvec).simd(SIMD.f32x4_sub).set(t);
        emitExp(c, t);
        c.set(e);
        c.get(pb).get(e).v128Store();
        c.get(acc).get(pb).simdMem(SIMD.v128_load64_zero, 0, 0).simd(SIMD.f64x2_promote_low_f32x4);
        c.simd(SIMD.f64x2_add).set(acc);
        c.get(acc).get(pb).simdMem(SIMD.v128_load64_zero, 0, 8).simd(SIMD.f64x2_promote_low_f32x4);
        c.simd(SIMD.f64x2_add).set(acc);
      };
      c.get(rowA).set(pa);
      c.get(rowB).set(pb);
      c.for(j, 0, full, 4, () => {
        expStep(() => c.get(pa).v128Load());
        c.addTo(pa, 16).addTo(pb, 16);
      });
      hasTail().if(() => expStep(tailLoaded));
      c.get(acc).simd(SIMD.f64x2_extract_lane, 0).get(acc).simd(SIMD.f64x2_extract_lane, 1).op(OP.f64_add).set(s);

      c.get(rowA).set(pa);
      c.get(rowB).set(pb);
      c.get(log).if(
        () => {
          // dst = (x − m) − log Σ
          c.get(s).op(OP.f32_demote_f64).simd(SIMD.f32x4_splat).set(t);
          emitLog(c, t);
          c.set(scale);
          c.for(j, 0, cols4, 4, () => {
            c.get(pb).get(pa).v128Load().get(mvec).simd(SIMD.f32x4_sub).get(scale).simd(SIMD.f32x4_sub).v128Store();
            c.addTo(pa, 16).addTo(pb, 16);
          });
        },
        () => {
          // dst = e · (1/Σ)
          f64Const(c, 1);
          c.get(s).op(OP.f64_div).op(OP.f32_demote_f64).simd(SIMD.f32x4_splat).set(scale);
          c.for(j, 0, cols4, 4, () => {
            c.get(pb).get(pb).v128Load().get(scale).simd(SIMD.f32x4_mul).v128Store();
            c.addTo(pb, 16);
          });
        },
      );
      c.get(cols).i32(4).op(OP.i32_mul).set(j);
      c.addLocal(rowA, j).addLocal(rowB, j);
    });
  });
  return m.bytes();
}

/** Pushes an f64 constant. */
function f64Const(c: Code, v: number): void {
  c.op(OP.f64_const, ...new Uint8Array(new Float64Array([v]).buffer));
}
