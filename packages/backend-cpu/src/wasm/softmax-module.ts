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
 * (lanes past the row read as −Infinity, so they add nothing) and stored lane by lane, so
 * nothing past a row is written: worker threads may run other rows of dst at the same time.
 *
 * run(outer, rows, params, src, dst): the elementwise kernels' signature, so the worker
 * pool runs ranges of rows as it runs element ranges (outer is 1 and unused); params is the
 * address of two i32s, cols and log (1 for log-softmax); src and dst are byte addresses
 * and must not overlap.
 */
export interface SoftmaxExports {
  run(outer: number, rows: number, params: number, src: number, dst: number): void;
}

// The high two lanes of a v128 moved to the low two (bytes 8..15, then 0..7).
const HIGH_TO_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

export function softmaxModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 0, 65536, shared);
  m.func('run', [T.i32, T.i32, T.i32, T.i32, T.i32], [], (c, _outer, rows, params, src, dst) => {
    const cols = c.local(T.i32);
    const log = c.local(T.i32);
    const rem = c.local(T.i32);
    const r = c.local(T.i32);
    const j = c.local(T.i32);
    const pa = c.local(T.i32);
    const pb = c.local(T.i32);
    const full = c.local(T.i32);
    const mask = c.local(T.v128);
    const mv = c.local(T.v128);
    const mvec = c.local(T.v128);
    const acc = c.local(T.v128);
    const t = c.local(T.v128);
    const e = c.local(T.v128);
    const scale = c.local(T.v128);
    const mx = c.local(T.f32);
    const s = c.local(T.f64);

    c.get(params).mem(OP.i32_load, 2, 0).set(cols);
    c.get(params).mem(OP.i32_load, 2, 4).set(log);
    // Lanes below cols mod 4 (the tail vector's valid lanes), and the full vectors' count.
    c.get(cols).i32(3).op(OP.i32_and).set(rem);
    c.i32x4Const(0, 1, 2, 3).get(rem).simd(SIMD.i32x4_splat).simd(SIMD.i32x4_lt_s).set(mask);
    c.get(cols).i32(-4).op(OP.i32_and).set(full);
    const tailLoaded = (): void => {
      // x at pa with the lanes past the row as −Infinity.
      c.get(pa).v128Load().f32x4Const(-Infinity).get(mask).simd(SIMD.v128_bitselect);
    };
    /** Stores the valid lanes of v at pb (1 to 3 of them). */
    const storeTail = (v: number): void => {
      c.get(pb).get(v).simd(SIMD.v128_store32_lane, 0, 0, 0);
      c.get(rem)
        .i32(1)
        .op(OP.i32_gt_s)
        .if(() => c.get(pb).get(v).simd(SIMD.v128_store32_lane, 0, 4, 1));
      c.get(rem)
        .i32(2)
        .op(OP.i32_gt_s)
        .if(() => c.get(pb).get(v).simd(SIMD.v128_store32_lane, 0, 8, 2));
    };
    c.for(r, 0, rows, 1, () => {
      // The row's max.
      c.f32x4Const(-Infinity).set(mv);
      c.get(src).set(pa);
      c.for(j, 0, full, 4, () => {
        c.get(mv).get(pa).v128Load().simd(SIMD.f32x4_max).set(mv);
        c.addTo(pa, 16);
      });
      c.get(rem).if(() => {
        c.get(mv);
        tailLoaded();
        c.simd(SIMD.f32x4_max).set(mv);
      });
      c.get(mv).simd(SIMD.f32x4_extract_lane, 0).get(mv).simd(SIMD.f32x4_extract_lane, 1).op(OP.f32_max);
      c.get(mv).simd(SIMD.f32x4_extract_lane, 2).get(mv).simd(SIMD.f32x4_extract_lane, 3).op(OP.f32_max);
      c.op(OP.f32_max).set(mx);
      // −Infinity → 0
      c.f32(0).get(mx).get(mx).f32(-Infinity).op(OP.f32_eq).op(OP.select).simd(SIMD.f32x4_splat).set(mvec);

      // e = exp(x − m) to dst, Σ e in two float64 lanes (the tail's masked lanes are 0).
      c.i32x4Const(0).set(acc);
      const expOf = (load: () => void): void => {
        load();
        c.get(mvec).simd(SIMD.f32x4_sub).set(t);
        emitExp(c, t);
        c.set(e);
        c.get(acc).get(e).simd(SIMD.f64x2_promote_low_f32x4).simd(SIMD.f64x2_add);
        c.get(e)
          .get(e)
          .simd(SIMD.i8x16_shuffle, ...HIGH_TO_LOW)
          .simd(SIMD.f64x2_promote_low_f32x4);
        c.simd(SIMD.f64x2_add).set(acc);
      };
      c.get(src).set(pa);
      c.get(dst).set(pb);
      c.for(j, 0, full, 4, () => {
        expOf(() => c.get(pa).v128Load());
        c.get(pb).get(e).v128Store();
        c.addTo(pa, 16).addTo(pb, 16);
      });
      c.get(rem).if(() => {
        expOf(tailLoaded);
        storeTail(e);
      });
      c.get(acc).simd(SIMD.f64x2_extract_lane, 0).get(acc).simd(SIMD.f64x2_extract_lane, 1).op(OP.f64_add).set(s);

      c.get(src).set(pa);
      c.get(dst).set(pb);
      c.get(log).if(
        () => {
          // dst = (x − m) − log Σ
          c.get(s).op(OP.f32_demote_f64).simd(SIMD.f32x4_splat).set(t);
          emitLog(c, t);
          c.set(scale);
          const value = (): void => {
            c.get(pa).v128Load().get(mvec).simd(SIMD.f32x4_sub).get(scale).simd(SIMD.f32x4_sub).set(e);
          };
          c.for(j, 0, full, 4, () => {
            value();
            c.get(pb).get(e).v128Store();
            c.addTo(pa, 16).addTo(pb, 16);
          });
          c.get(rem).if(() => {
            value();
            storeTail(e);
          });
        },
        () => {
          // dst = e · (1/Σ)
          f64Const(c, 1);
          c.get(s).op(OP.f64_div).op(OP.f32_demote_f64).simd(SIMD.f32x4_splat).set(scale);
          c.for(j, 0, full, 4, () => {
            c.get(pb).get(pb).v128Load().get(scale).simd(SIMD.f32x4_mul).v128Store();
            c.addTo(pb, 16);
          });
          c.get(rem).if(() => {
            c.get(pb).v128Load().get(scale).simd(SIMD.f32x4_mul).set(e);
            storeTail(e);
          });
        },
      );
      c.get(cols).i32(2).op(OP.i32_shl).set(j);
      c.addLocal(src, j).addLocal(dst, j);
    });
  });
  return m.bytes();
}

/** Pushes an f64 constant. */
function f64Const(c: Code, v: number): void {
  c.op(OP.f64_const, ...new Uint8Array(new Float64Array([v]).buffer));
}
