import { type Code, type Local, SIMD, T } from './emitter';

/**
 * Transcendental functions as inline wasm f32x4 code, for the elementwise
 * kernels: without them any expression with exp, sigmoid, tanh, log or erf fell
 * back to the JavaScript kernels (Math.exp per element, one thread), which
 * was ~25 ms of an LSTM step and ~45 ms of a GPT step.
 *
 * The polynomials are Cephes' single-precision ones (expf, tanhf, logf, erff),
 * evaluated in float32. Measured against Math.* rounded to float32 over the
 * whole float32 range (test/simd-math.test.ts), in ulps of the exact value:
 * exp 0.93, log 0.72, tanh 1.2, sigmoid 2.3 (its division and 1 + e add to
 * exp's error), erf 2.4 at most. Special values follow Math: NaN stays NaN,
 * exp(-Inf) = 0, exp overflows to +Inf and underflows through the subnormals
 * to 0, log(0) = -Inf, log(x < 0) = NaN, tanh(±0) = ±0, erf(±Inf) = ±1.
 *
 * Each function reads its operand from a local and leaves its result on the stack.
 */

/** Horner's rule: pushes ((c0·z + c1)·z + c2)…, z a local. */
function horner(c: Code, z: Local, coeffs: readonly number[]): void {
  c.f32x4Const(coeffs[0]);
  for (let k = 1; k < coeffs.length; k++) c.get(z).simd(SIMD.f32x4_mul).f32x4Const(coeffs[k]).simd(SIMD.f32x4_add);
}

/** A new v128 local set from the top of the stack. */
function keep(c: Code): Local {
  const l = c.local(T.v128);
  c.set(l);
  return l;
}

// ln 2 split in two: k·LN2_HI is exact for the |k| ≤ 150 that reach it (LN2_HI has 9 significant bits).
const LN2_HI = 0.693359375;
const LN2_LO = -2.1219444e-4;
const EXP_POLY = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** e^89 overflows float32 and e^-104 rounds to 0; clamping there keeps 2^k's exponent arithmetic in range. */
const EXP_MAX = 89;
const EXP_MIN = -104;

/**
 * e^a: a = k·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial, then
 * two multiplies by 2^(k/2) (each a normal number built in the exponent
 * bits), so results in the subnormal range round once and 2^128 still
 * overflows to +Inf. wasm min/max propagate NaN, so NaN passes through.
 */
export function emitExp(c: Code, a: Local): void {
  const x = keep(c.get(a).f32x4Const(EXP_MAX).simd(SIMD.f32x4_min).f32x4Const(EXP_MIN).simd(SIMD.f32x4_max));
  const k = keep(c.get(x).f32x4Const(Math.LOG2E).simd(SIMD.f32x4_mul).simd(SIMD.f32x4_nearest));
  c.get(x).get(k).f32x4Const(LN2_HI).simd(SIMD.f32x4_mul).simd(SIMD.f32x4_sub);
  const r = keep(c.get(k).f32x4Const(LN2_LO).simd(SIMD.f32x4_mul).simd(SIMD.f32x4_sub));
  const r2 = keep(c.get(r).get(r).simd(SIMD.f32x4_mul));
  horner(c, r, EXP_POLY);
  c.get(r2).simd(SIMD.f32x4_mul).get(r).simd(SIMD.f32x4_add).f32x4Const(1).simd(SIMD.f32x4_add);
  const y = keep(c);
  // k1 = floor(k/2), k2 = k - k1: 2^k1 and 2^k2 are both normal for k in [-150, 128].
  const k1 = keep(c.get(k).simd(SIMD.i32x4_trunc_sat_f32x4_s).i32(1).simd(SIMD.i32x4_shr_s));
  const k2 = keep(c.get(k).simd(SIMD.i32x4_trunc_sat_f32x4_s).get(k1).simd(SIMD.i32x4_sub));
  c.get(y);
  c.get(k1).i32x4Const(127).simd(SIMD.i32x4_add).i32(23).simd(SIMD.i32x4_shl).simd(SIMD.f32x4_mul);
  c.get(k2).i32x4Const(127).simd(SIMD.i32x4_add).i32(23).simd(SIMD.i32x4_shl).simd(SIMD.f32x4_mul);
}

/**
 * 1/(1 + e^-a) from e = e^-|a|: 1/(1+e) for a ≥ 0, e/(1+e) for a < 0, so
 * e never overflows and sigmoid(-100) is the subnormal it should be, not 0.
 */
export function emitSigmoid(c: Code, a: Local): void {
  const n = keep(c.get(a).simd(SIMD.f32x4_abs).simd(SIMD.f32x4_neg));
  emitExp(c, n);
  const e = keep(c);
  const t = keep(c.f32x4Const(1).f32x4Const(1).get(e).simd(SIMD.f32x4_add).simd(SIMD.f32x4_div));
  c.get(e).get(t).simd(SIMD.f32x4_mul).get(t);
  c.get(a).f32x4Const(0).simd(SIMD.f32x4_lt).simd(SIMD.v128_bitselect);
}

const TANH_POLY = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];
/** Below this |a| the odd polynomial; above it 1 - 2/(e^2|a| + 1), which loses nothing to cancellation there. */
const TANH_SMALL = 0.625;

/** tanh(a) on |a| with a's sign copied back, so tanh(-0) = -0 and tanh(±1e-8) = ±1e-8. */
export function emitTanh(c: Code, a: Local): void {
  const ax = keep(c.get(a).simd(SIMD.f32x4_abs));
  const z = keep(c.get(ax).get(ax).simd(SIMD.f32x4_mul));
  horner(c, z, TANH_POLY);
  c.get(z).simd(SIMD.f32x4_mul).get(ax).simd(SIMD.f32x4_mul).get(ax).simd(SIMD.f32x4_add);
  const small = keep(c);
  const two = keep(c.get(ax).get(ax).simd(SIMD.f32x4_add));
  emitExp(c, two); // e^89 and above is +Inf, 2/Inf = 0: saturates to 1
  const e = keep(c);
  c.f32x4Const(1).f32x4Const(2).get(e).f32x4Const(1).simd(SIMD.f32x4_add).simd(SIMD.f32x4_div).simd(SIMD.f32x4_sub);
  const big = keep(c);
  c.get(small).get(big).get(ax).f32x4Const(TANH_SMALL).simd(SIMD.f32x4_lt).simd(SIMD.v128_bitselect);
  c.get(a).i32x4Const(0x7fffffff).simd(SIMD.v128_bitselect); // magnitude from the result, sign from a
}

const SQRT_HALF = Math.SQRT1_2;
const LOG_POLY = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
];

/**
 * ln(a): a = 2^e·m with m in [√½, √2) taken from the bits (subnormals scaled
 * by 2^23 first), ln(1+f) by Cephes' polynomial, e·ln2 added in two parts.
 */
export function emitLog(c: Code, a: Local): void {
  const sub = keep(
    c
      .get(a)
      .f32x4Const(2 ** -126)
      .simd(SIMD.f32x4_lt),
  );
  const xs = keep(
    c
      .get(a)
      .f32x4Const(2 ** 23)
      .simd(SIMD.f32x4_mul)
      .get(a)
      .get(sub)
      .simd(SIMD.v128_bitselect),
  );
  // e = biased exponent - 126 (m in [0.5, 1)), less 23 where scaled.
  c.get(xs).i32(23).simd(SIMD.i32x4_shr_u).i32x4Const(126).simd(SIMD.i32x4_sub);
  c.get(sub).i32x4Const(23).simd(SIMD.v128_and).simd(SIMD.i32x4_sub);
  const e0 = keep(c);
  const m0 = keep(c.get(xs).i32x4Const(0x007fffff).simd(SIMD.v128_and).i32x4Const(0x3f000000).simd(SIMD.v128_or));
  // m < √½: use 2m - 1 and e - 1 (the mask is -1 there), else m - 1.
  const lt = keep(c.get(m0).f32x4Const(SQRT_HALF).simd(SIMD.f32x4_lt));
  const fe = keep(c.get(e0).get(lt).simd(SIMD.i32x4_add).simd(SIMD.f32x4_convert_i32x4_s));
  const m = keep(c.get(m0).get(m0).get(lt).simd(SIMD.v128_and).simd(SIMD.f32x4_add).f32x4Const(1).simd(SIMD.f32x4_sub));
  const z = keep(c.get(m).get(m).simd(SIMD.f32x4_mul));
  horner(c, m, LOG_POLY);
  c.get(m).simd(SIMD.f32x4_mul).get(z).simd(SIMD.f32x4_mul);
  c.get(fe).f32x4Const(LN2_LO).simd(SIMD.f32x4_mul).simd(SIMD.f32x4_add);
  c.get(z).f32x4Const(0.5).simd(SIMD.f32x4_mul).simd(SIMD.f32x4_sub);
  c.get(m).simd(SIMD.f32x4_add);
  c.get(fe).f32x4Const(LN2_HI).simd(SIMD.f32x4_mul).simd(SIMD.f32x4_add);
  const r = keep(c);
  // +Inf stays, ±0 → -Inf, below 0 or NaN (not a ≥ 0) → NaN.
  c.get(a).get(r).get(a).f32x4Const(Infinity).simd(SIMD.f32x4_eq).simd(SIMD.v128_bitselect).set(r);
  c.f32x4Const(-Infinity).get(r).get(a).f32x4Const(0).simd(SIMD.f32x4_eq).simd(SIMD.v128_bitselect).set(r);
  c.f32x4Const(NaN).get(r).get(a).f32x4Const(0).simd(SIMD.f32x4_ge).simd(SIMD.v128_not).simd(SIMD.v128_bitselect);
}

const ERF_SMALL = [
  7.853861353153693e-5, -8.010193625184903e-4, 5.188327685732524e-3, -2.685381193529856e-2, 1.128358514861418e-1,
  -3.7612625824233e-1, 1.12837916572671,
];
/** erfc(x)·x·e^(x²) in 1/x², for 1 ≤ x < 2 and x ≥ 2 (Cephes erfcf's P and R). */
const ERFC_NEAR = [
  2.326819970068386e-2, -1.387039388740657e-1, 3.687424674597105e-1, -5.824733027278666e-1, 6.210004621745983e-1,
  -4.944515323274145e-1, 3.404879937665872e-1, -2.741127028184656e-1, 5.638259427386472e-1,
];
const ERFC_FAR = [
  -1.047766399936249e1, 1.297719955372516e1, -7.495518717768503, 2.921019019210786, -1.0152652792027,
  4.218463358204948e-1, -2.820767439740514e-1, 5.641895067754075e-1,
];

/**
 * erf(a) as Cephes' erff: |a| ≤ 1 an odd polynomial (so erf(1e-30) is
 * 1e-30), above it 1 - e^(-a²)/|a|·P(1/a²) with a's sign. (Abramowitz and
 * Stegun's 7.1.26, the JavaScript kernels' form, is off by up to 1.5e-7 absolute.)
 */
export function emitErf(c: Code, a: Local): void {
  const ax = keep(c.get(a).simd(SIMD.f32x4_abs));
  const z = keep(c.get(a).get(a).simd(SIMD.f32x4_mul));
  horner(c, z, ERF_SMALL);
  const small = keep(c.get(ax).simd(SIMD.f32x4_mul));
  const nz = keep(c.get(z).simd(SIMD.f32x4_neg));
  emitExp(c, nz);
  const e = keep(c);
  const q = keep(c.f32x4Const(1).get(ax).simd(SIMD.f32x4_div));
  const y = keep(c.get(q).get(q).simd(SIMD.f32x4_mul));
  horner(c, y, ERFC_NEAR);
  horner(c, y, ERFC_FAR);
  c.get(ax).f32x4Const(2).simd(SIMD.f32x4_lt).simd(SIMD.v128_bitselect);
  c.get(q).simd(SIMD.f32x4_mul).get(e).simd(SIMD.f32x4_mul);
  const erfc = keep(c);
  c.get(small).f32x4Const(1).get(erfc).simd(SIMD.f32x4_sub);
  c.get(ax).f32x4Const(1).simd(SIMD.f32x4_le).simd(SIMD.v128_bitselect);
  c.get(a).i32x4Const(0x7fffffff).simd(SIMD.v128_bitselect); // magnitude from the result, sign from a
}
