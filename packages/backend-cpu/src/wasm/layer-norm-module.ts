import { type Code, type Local, ModuleBuilder, OP, SIMD, T } from './emitter';

/**
 * Layer normalization rows as wasm SIMD kernels, four lanes at a time, for rows whose
 * length d is a multiple of 4 (others run in kernels/layer-norm.ts' JavaScript): the
 * JavaScript loops took ~1 ns an element a pass, slower forward and backward than the
 * composed SIMD elementwise kernels they replaced.
 *
 * Per row: the mean as a float64 sum (kept as two float32s, hi + lo), the variance as the
 * float64 sum of float32 squared deviations from it (two passes, as the JavaScript kernel), and
 * r = 1/√(σ² + ε) in float64, rounded to float32; the rest is float32 arithmetic.
 *
 * Each module exports one function, `run`, with the elementwise kernels' signature, so the
 * worker pool runs ranges of rows as it runs element ranges (outer is 1 and unused); params is
 * the address of d (i32), then 1/d and ε (f64, at 8 and 16):
 * - forward `f{G}{B}` run(outer, rows, params, x, gamma, beta, y): y = (x − μ)·r (·γ) (+ β); one
 *   module per combination of gamma (G = 1) and beta (B = 1), so the row loop tests nothing;
 * - gradient `g{G}` run(outer, rows, params, x, gamma, dy, dx, acc): dx per row; zeroes the 2d
 *   float64s at acc, then adds Σ dy·x̂ into acc[0, d) and Σ dy into acc[d, 2d) over its rows
 *   (each range of rows has its own acc; the caller adds them up and rounds).
 * Addresses are bytes.
 */
export const LAYER_NORM_VARIANTS = ['f00', 'f01', 'f10', 'f11', 'g0', 'g1'] as const;
export type LayerNormVariant = (typeof LAYER_NORM_VARIANTS)[number];
export type LayerNormRun = (outer: number, rows: number, params: number, ...addresses: number[]) => void;
export type LayerNormExports = Record<LayerNormVariant, { run: LayerNormRun }>;

// The high two lanes of a v128 moved to the low two (bytes 8..15, then 0..7).
const HIGH_TO_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

/** acc (f64x2) += the four f32 lanes of the v128 local v, promoted. */
function addPromoted(c: Code, acc: Local, v: Local): void {
  c.get(acc).get(v).simd(SIMD.f64x2_promote_low_f32x4).simd(SIMD.f64x2_add);
  c.get(v)
    .get(v)
    .simd(SIMD.i8x16_shuffle, ...HIGH_TO_LOW)
    .simd(SIMD.f64x2_promote_low_f32x4);
  c.simd(SIMD.f64x2_add).set(acc);
}

/** Pushes (lane 0 + lane 1) of an f64x2 local times the f64 local k. */
function laneSum(c: Code, acc: Local, k: Local): void {
  c.get(acc).simd(SIMD.f64x2_extract_lane, 0).get(acc).simd(SIMD.f64x2_extract_lane, 1).op(OP.f64_add);
  c.get(k).op(OP.f64_mul);
}

interface RowLocals {
  o: Local;
  t: Local;
  acc: Local;
  mu: Local;
  mean: Local;
  meanLo: Local;
  rstd: Local;
}

/** On the stack: v → (v − μ_hi) − μ_lo. */
function centered(c: Code, l: RowLocals): void {
  c.get(l.mean).simd(SIMD.f32x4_sub).get(l.meanLo).simd(SIMD.f32x4_sub);
}

/** mean and rstd (f32x4 splats) of the row at address `row` of d floats. */
function emitStats(c: Code, l: RowLocals, row: Local, d: Local, invD: Local, eps: Local): void {
  c.i32x4Const(0).set(l.acc);
  c.for(l.o, 0, d, 4, () => {
    c.get(row).get(l.o).i32(2).op(OP.i32_shl).op(OP.i32_add).v128Load().set(l.t);
    addPromoted(c, l.acc, l.t);
  });
  // μ as float32 hi + lo, so x − hi is exact near μ and (x − hi) − lo keeps μ's float64 digits.
  laneSum(c, l.acc, invD);
  c.set(l.mu);
  c.get(l.mu).op(OP.f32_demote_f64).simd(SIMD.f32x4_splat).set(l.mean);
  c.get(l.mu).get(l.mu).op(OP.f32_demote_f64).op(OP.f64_promote_f32).op(OP.f64_sub);
  c.op(OP.f32_demote_f64).simd(SIMD.f32x4_splat).set(l.meanLo);
  c.i32x4Const(0).set(l.acc);
  c.for(l.o, 0, d, 4, () => {
    c.get(row).get(l.o).i32(2).op(OP.i32_shl).op(OP.i32_add).v128Load();
    centered(c, l);
    c.set(l.t);
    c.get(l.t).get(l.t).simd(SIMD.f32x4_mul).set(l.t);
    addPromoted(c, l.acc, l.t);
  });
  f64Const(c, 1);
  laneSum(c, l.acc, invD);
  c.get(eps).op(OP.f64_add).op(OP.f64_sqrt).op(OP.f64_div).op(OP.f32_demote_f64).simd(SIMD.f32x4_splat).set(l.rstd);
}

/** Pushes the v128 at base + 4·o (o in elements). */
function loadAt(c: Code, base: Local, o: Local): Code {
  return c.get(base).get(o).i32(2).op(OP.i32_shl).op(OP.i32_add).v128Load();
}

/** Pushes base + 4·o, the address to store at. */
function addrAt(c: Code, base: Local, o: Local): Code {
  return c.get(base).get(o).i32(2).op(OP.i32_shl).op(OP.i32_add);
}

function rowLocals(c: Code): RowLocals {
  return {
    o: c.local(T.i32),
    t: c.local(T.v128),
    acc: c.local(T.v128),
    mu: c.local(T.f64),
    mean: c.local(T.v128),
    meanLo: c.local(T.v128),
    rstd: c.local(T.v128),
  };
}

/** d, 1/d and ε from the params block into new locals. */
function readParams(c: Code, params: Local): { d: Local; invD: Local; eps: Local } {
  const d = c.local(T.i32);
  const invD = c.local(T.f64);
  const eps = c.local(T.f64);
  c.get(params).mem(OP.i32_load, 2, 0).set(d);
  c.get(params).mem(OP.f64_load, 3, 8).set(invD);
  c.get(params).mem(OP.f64_load, 3, 16).set(eps);
  return { d, invD, eps };
}

export function layerNormModuleBytes(shared: boolean, variant: LayerNormVariant): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 0, 65536, shared);
  const I = T.i32;
  if (variant[0] === 'f') {
    const g = variant[1] === '1';
    const b = variant[2] === '1';
    m.func('run', [I, I, I, I, I, I, I], [], (c, _outer, rows, params, x, gamma, beta, y) => {
      const { d, invD, eps } = readParams(c, params);
      const r = c.local(T.i32);
      const l = rowLocals(c);
      c.for(r, 0, rows, 1, () => {
        emitStats(c, l, x, d, invD, eps);
        c.for(l.o, 0, d, 4, () => {
          addrAt(c, y, l.o);
          loadAt(c, x, l.o);
          centered(c, l);
          c.get(l.rstd).simd(SIMD.f32x4_mul);
          if (g) loadAt(c, gamma, l.o).simd(SIMD.f32x4_mul);
          if (b) loadAt(c, beta, l.o).simd(SIMD.f32x4_add);
          c.v128Store();
        });
        c.get(d).i32(2).op(OP.i32_shl).set(l.o);
        c.addLocal(x, l.o).addLocal(y, l.o);
      });
    });
  } else {
    const g = variant[1] === '1';
    m.func('run', [I, I, I, I, I, I, I, I], [], (c, _outer, rows, params, x, gamma, dy, dx, acc) => {
      const { d, invD, eps } = readParams(c, params);
      const r = c.local(T.i32);
      const l = rowLocals(c);
      const h = c.local(T.v128);
      const gv = c.local(T.v128);
      const t = c.local(T.v128);
      const sa = c.local(T.v128);
      const sb = c.local(T.v128);
      const av = c.local(T.v128);
      const bv = c.local(T.v128);
      const pc = c.local(T.i32);
      const dBytes8 = c.local(T.i32);
      c.get(d).i32(3).op(OP.i32_shl).set(dBytes8);
      // This range's column sums start at zero: 2d float64s, 16 bytes a step.
      c.get(d).i32(4).op(OP.i32_shl).set(pc);
      c.for(r, 0, pc, 16, () => {
        c.get(acc).get(r).op(OP.i32_add).i32x4Const(0).v128Store();
      });
      /** h = x̂, t = dy, gv = dy·γ at element o. */
      const load = (): void => {
        loadAt(c, x, l.o);
        centered(c, l);
        c.get(l.rstd).simd(SIMD.f32x4_mul).set(h);
        loadAt(c, dy, l.o).set(t);
        if (g) c.get(t).get(gamma).get(l.o).i32(2).op(OP.i32_shl).op(OP.i32_add).v128Load().simd(SIMD.f32x4_mul);
        else c.get(t);
        c.set(gv);
      };
      /** The f64 column accumulator pair at acc + 8·o (+16 for the high lanes), plus `off` bytes. */
      const addColumns = (v: Local, off: Local | null): void => {
        // pc = acc + 8·o (+ off)
        c.get(acc).get(l.o).i32(3).op(OP.i32_shl).op(OP.i32_add);
        if (off !== null) c.get(off).op(OP.i32_add);
        c.set(pc);
        c.get(pc).get(pc).v128Load().get(v).simd(SIMD.f64x2_promote_low_f32x4).simd(SIMD.f64x2_add).v128Store();
        c.get(pc)
          .get(pc)
          .v128Load(16)
          .get(v)
          .get(v)
          .simd(SIMD.i8x16_shuffle, ...HIGH_TO_LOW);
        c.simd(SIMD.f64x2_promote_low_f32x4).simd(SIMD.f64x2_add).v128Store(16);
      };
      c.for(r, 0, rows, 1, () => {
        emitStats(c, l, x, d, invD, eps);
        c.i32x4Const(0).set(sa);
        c.i32x4Const(0).set(sb);
        c.for(l.o, 0, d, 4, () => {
          load();
          addPromoted(c, sa, gv);
          c.get(gv).get(h).simd(SIMD.f32x4_mul).set(l.t);
          addPromoted(c, sb, l.t);
          c.get(t).get(h).simd(SIMD.f32x4_mul).set(l.t);
          addColumns(l.t, null);
          addColumns(t, dBytes8);
        });
        laneSum(c, sa, invD);
        c.op(OP.f32_demote_f64).simd(SIMD.f32x4_splat).set(av);
        laneSum(c, sb, invD);
        c.op(OP.f32_demote_f64).simd(SIMD.f32x4_splat).set(bv);
        c.for(l.o, 0, d, 4, () => {
          load();
          addrAt(c, dx, l.o);
          c.get(gv).get(av).simd(SIMD.f32x4_sub).get(h).get(bv).simd(SIMD.f32x4_mul).simd(SIMD.f32x4_sub);
          c.get(l.rstd).simd(SIMD.f32x4_mul).v128Store();
        });
        c.get(d).i32(2).op(OP.i32_shl).set(l.o);
        c.addLocal(x, l.o).addLocal(dy, l.o).addLocal(dx, l.o);
      });
    });
  }
  return m.bytes();
}

/** Pushes an f64 constant. */
function f64Const(c: Code, v: number): void {
  c.op(OP.f64_const, ...new Uint8Array(new Float64Array([v]).buffer));
}
