/**
 * WebAssembly binary opcodes used by the kernel generators (core spec 2.0 plus
 * the fixed-width SIMD proposal, which is part of 2.0). Only what the
 * generators emit is listed; add entries from the spec's opcode tables as needed.
 */

/** Value types. */
export const T = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
} as const;
export type ValType = (typeof T)[keyof typeof T];

/** The empty block type (a block that leaves nothing on the stack). */
export const VOID_BLOCK = 0x40;

/** Single-byte core instructions. */
export const OP = {
  unreachable: 0x00,
  nop: 0x01,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  i32_load: 0x28,
  i32_load8_u: 0x2d,
  f32_load: 0x2a,
  f64_load: 0x2b,
  i32_store: 0x36,
  f32_store: 0x38,
  i32_const: 0x41,
  f32_const: 0x43,
  i32_eqz: 0x45,
  i32_eq: 0x46,
  i32_ne: 0x47,
  i32_lt_s: 0x48,
  i32_lt_u: 0x49,
  i32_gt_s: 0x4a,
  i32_gt_u: 0x4b,
  i32_le_s: 0x4c,
  i32_le_u: 0x4d,
  i32_ge_s: 0x4e,
  i32_ge_u: 0x4f,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  i32_div_u: 0x6e,
  i32_rem_u: 0x70,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_shl: 0x74,
  i32_shr_s: 0x75,
  i32_shr_u: 0x76,
  f32_add: 0x92,
  f32_sub: 0x93,
  f32_mul: 0x94,
  f32_convert_i32_s: 0xb2,
  f32_convert_i32_u: 0xb3,
  f32_eq: 0x5b,
  f32_div: 0x95,
  f32_max: 0x97,
  f64_const: 0x44,
  f64_add: 0xa0,
  f64_sub: 0xa1,
  f64_mul: 0xa2,
  f64_div: 0xa3,
  f64_sqrt: 0x9f,
  f32_demote_f64: 0xb6,
  f64_promote_f32: 0xbb,
} as const;

/** The prefix byte of every SIMD instruction; the SIMD opcode follows as a LEB128 u32. */
export const SIMD_PREFIX = 0xfd;

/** SIMD opcodes (after the 0xfd prefix). */
export const SIMD = {
  v128_load: 0x00,
  v128_load32_splat: 0x09,
  v128_store: 0x0b,
  v128_const: 0x0c,
  i8x16_shuffle: 0x0d,
  i32x4_splat: 0x11,
  f32x4_splat: 0x13,
  i32x4_extract_lane: 0x1b,
  f32x4_extract_lane: 0x1f,
  f32x4_replace_lane: 0x20,
  f64x2_extract_lane: 0x21,
  i32x4_eq: 0x37,
  i32x4_lt_s: 0x39,
  i32x4_gt_s: 0x3b,
  f32x4_eq: 0x41,
  f32x4_ne: 0x42,
  f32x4_lt: 0x43,
  f32x4_gt: 0x44,
  f32x4_le: 0x45,
  f32x4_ge: 0x46,
  v128_not: 0x4d,
  v128_and: 0x4e,
  v128_andnot: 0x4f,
  v128_or: 0x50,
  v128_xor: 0x51,
  v128_bitselect: 0x52,
  v128_store32_lane: 0x5a,
  v128_load32_zero: 0x5c,
  v128_load64_zero: 0x5d,
  f64x2_promote_low_f32x4: 0x5f,
  i8x16_narrow_i16x8_u: 0x66,
  f32x4_ceil: 0x67,
  f32x4_floor: 0x68,
  f32x4_trunc: 0x69,
  f32x4_nearest: 0x6a,
  i16x8_narrow_i32x4_u: 0x86,
  i16x8_extend_low_i8x16_u: 0x89,
  i32x4_extend_low_i16x8_u: 0xa9,
  i32x4_shl: 0xab,
  i32x4_shr_s: 0xac,
  i32x4_shr_u: 0xad,
  i32x4_add: 0xae,
  i32x4_sub: 0xb1,
  i32x4_mul: 0xb5,
  f32x4_abs: 0xe0,
  f32x4_neg: 0xe1,
  f32x4_sqrt: 0xe3,
  f32x4_add: 0xe4,
  f32x4_sub: 0xe5,
  f32x4_mul: 0xe6,
  f32x4_div: 0xe7,
  f32x4_min: 0xe8,
  f32x4_max: 0xe9,
  f32x4_pmin: 0xea,
  f32x4_pmax: 0xeb,
  f64x2_add: 0xf0,
  i32x4_trunc_sat_f32x4_s: 0xf8,
  f32x4_convert_i32x4_s: 0xfa,
  f32x4_convert_i32x4_u: 0xfb,
  /** Relaxed SIMD: a·b + c, fused or not as the hardware does it (probe before use: relaxed-simd.ts). */
  f32x4_relaxed_madd: 0x105,
} as const;

/** Module section ids, in the order they must appear. */
export const SECTION = {
  type: 1,
  import: 2,
  function: 3,
  memory: 5,
  export: 7,
  code: 10,
} as const;

/** Import/export kinds. */
export const EXTERNAL = { func: 0x00, table: 0x01, memory: 0x02, global: 0x03 } as const;
