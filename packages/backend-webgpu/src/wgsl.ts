/**
 * WGSL shared by every kernel: float classification by bits (WGSL lets a
 * compiler assume NaN and infinity never occur, so `x != x` is not a safe
 * test), non-finite constants made at run time (a constant NaN is a
 * shader-creation error), and JavaScript's number-to-int32 conversion.
 */
export const PRELUDE = /* wgsl */ `
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn nan_() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
fn inf_() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn ninf_() -> f32 { var b = 0xff800000u; return bitcast<f32>(b); }
// -0 made from a parameter word, so the compiler cannot see a constant: drivers that ignore the
// sign of zero (Vulkan allows it; SwiftShader does) fold x * -0.0 to a zero of either sign.
fn nzero_() -> f32 { return bitcast<f32>((P(0u) | 0x80000000u) & 0x80000000u); }
// Nonzero, as JavaScript's x !== 0: NaN counts as nonzero.
fn nz_(x: f32) -> bool { return !(x == 0.0); }
// JavaScript's ToInt32 (what storing a number into an Int32Array does):
// truncate, wrap modulo 2^32, NaN and infinities to 0.
fn toi32_(v: f32) -> i32 {
  if (isnan_(v) || isinf_(v)) { return 0; }
  let t = trunc(v);
  if (abs(t) < 2147483648.0) { return i32(t); }
  let m = t - 4294967296.0 * floor(t / 4294967296.0);
  return bitcast<i32>(u32(m));
}
`;

/**
 * Math with JavaScript's special values and float32 accuracy where GPU
 * builtins fall short (log near 1, expm1 and log1p near 0, tanh, pow).
 * Prepended to every kernel with PRELUDE.
 */
export const MATH = /* wgsl */ `
fn fmax_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return nan_(); } return max(a, b); }
fn fmin_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return nan_(); } return min(a, b); }
fn fsign_(x: f32) -> f32 { if (x > 0.0) { return 1.0; } if (x < 0.0) { return -1.0; } return x; }
fn isign_(x: i32) -> i32 { return select(select(0, -1, x < 0), 1, x > 0); }
fn sqrt_(x: f32) -> f32 { if (x < 0.0 || isnan_(x)) { return nan_(); } return sqrt(x); }
// 2*atanh(s) = log((1+s)/(1-s)) for |s| <= 1/3, to float32 precision.
fn atanh2_(s: f32) -> f32 {
  let z = s * s;
  let p = 1.0 + z * (0.33333334 + z * (0.2 + z * (0.14285715 + z * (0.11111111 + z * (0.09090909 + z * (0.07692308 + z * 0.06666667))))));
  return 2.0 * s * p;
}
// Natural log. GPU log is only accurate to ~2^-21 absolute near 1, so [0.5, 2] uses the series.
fn log_(x: f32) -> f32 {
  if (x < 0.0 || isnan_(x)) { return nan_(); }
  if (x == 0.0) { return ninf_(); }
  if (isinf_(x)) { return x; }
  if (x > 0.5 && x < 2.0) { return atanh2_((x - 1.0) / (x + 1.0)); }
  return log(x);
}
fn log1p_(x: f32) -> f32 {
  if (x < -1.0 || isnan_(x)) { return nan_(); }
  if (x == -1.0) { return ninf_(); }
  if (isinf_(x)) { return x; }
  if (abs(x) <= 0.5) { return atanh2_(x / (2.0 + x)); }
  return log_(1.0 + x);
}
fn exp_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  if (x > 88.8) { return inf_(); }
  if (x < -104.0) { return 0.0; }
  return exp(x);
}
fn expm1_(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    return x * (1.0 + x * (0.5 + x * (0.16666667 + x * (0.041666668 + x * (0.008333334 + x * (0.0013888889 + x * (0.0001984127 + x * 0.0000248015873)))))));
  }
  return exp_(x) - 1.0;
}
fn tanh_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  let e = expm1_(2.0 * clamp(x, -10.0, 10.0));
  return e / (e + 2.0);
}
fn sigmoid_(x: f32) -> f32 { return 1.0 / (1.0 + exp_(-x)); }
fn erf_(x: f32) -> f32 {
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp_(-a * a);
  return select(y, -y, x < 0.0);
}
fn signbit_(x: f32) -> bool { return (bitcast<u32>(x) & 0x80000000u) != 0u; }
// sin and cos by Cody-Waite reduction to [-pi/4, pi/4] and Taylor polynomials: GPU builtins are
// accurate only in absolute terms (SwiftShader's sin(1e-3) is off by 2e-4 relative).
fn sincos_(x: f32) -> vec2<f32> {
  let q = round(x * 0.63661975);
  var r = x - q * 1.5703125;
  r = r - q * 4.8375129699707031e-4;
  r = r - q * 7.5497899548918821e-8;
  let z = r * r;
  let s = r + r * z * (-0.16666667 + z * (0.0083333333 + z * (-0.00019841270 + z * 0.0000027557319)));
  let c = 1.0 + z * (-0.5 + z * (0.041666667 + z * (-0.0013888889 + z * (0.000024801587 - z * 0.00000027557319))));
  let k = i32(q - 4.0 * floor(q * 0.25));
  if (k == 0) { return vec2<f32>(s, c); }
  if (k == 1) { return vec2<f32>(c, -s); }
  if (k == 2) { return vec2<f32>(-s, -c); }
  return vec2<f32>(-c, s);
}
fn sin_(x: f32) -> f32 { if (isnan_(x) || isinf_(x)) { return nan_(); } return sincos_(x).x; }
fn cos_(x: f32) -> f32 { if (isnan_(x) || isinf_(x)) { return nan_(); } return sincos_(x).y; }
// Math.pow: integer exponents up to 64 by squaring (exact for small results), else exp(y log|x|).
fn pow_(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (isnan_(x) || isnan_(y)) { return nan_(); }
  let yint = !isinf_(y) && trunc(y) == y;
  if (yint && abs(y) <= 64.0) {
    var e = u32(abs(y));
    var b = x;
    var r = 1.0;
    loop {
      if ((e & 1u) != 0u) { r = r * b; }
      e = e >> 1u;
      if (e == 0u) { break; }
      b = b * b;
    }
    return select(r, 1.0 / r, y < 0.0);
  }
  let ax = abs(x);
  if (isinf_(y)) {
    if (ax == 1.0) { return nan_(); }
    return select(0.0, inf_(), (ax > 1.0) == (y > 0.0));
  }
  var r: f32;
  if (ax == 0.0) { r = select(0.0, inf_(), y < 0.0); }
  else if (isinf_(ax)) { r = select(inf_(), 0.0, y < 0.0); }
  else if (x < 0.0 && !yint) { return nan_(); }
  else { r = exp_(y * log_(ax)); }
  let odd = yint && abs(y) < 16777216.0 && trunc(y * 0.5) != y * 0.5;
  if (odd && signbit_(x)) { r = -r; }
  return r;
}
`;

/** The linear workgroup index of a 2-D dispatch grid (see `grid`). */
export const WG_INDEX = 'wid.y * nwg.x + wid.x';

/** Entry-point builtins every 1-D kernel declares. */
export const ENTRY_ARGS =
  '@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32';

/** A float32 value as the u32 bits a params word carries. */
const f32buf = new Float32Array(1);
const u32view = new Uint32Array(f32buf.buffer);
export function f32bits(x: number): number {
  f32buf[0] = x;
  return u32view[0];
}

/** The WGSL element type a dtype is stored as. */
export function wgslType(dtype: string): 'f32' | 'i32' {
  return dtype === 'float32' ? 'f32' : 'i32';
}
