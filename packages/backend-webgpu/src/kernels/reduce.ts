import type { DType } from '@tsdl/tensor';
import type { ReduceOp, View } from '@tsdl/tensor/backend';
import { isColumnLayout, makeTypedArray, reduceIdentity } from '@tsdl/tensor/backend';
import type { GpuStorage } from '../buffers';
import { storageOf } from '../buffers';
import type { Device } from '../context';
import { grid } from '../runtime';
import { ENTRY_ARGS, WG_INDEX, wgslType } from '../wgsl';

/**
 * Reductions of the trailing `inner` elements of each of `outer` rows.
 *
 * - rows of up to ROW_THREAD elements: one thread per row, in order;
 * - longer rows: one workgroup per row, each thread folding a strided slice,
 *   then a shared-memory tree;
 * - "column" layout (sum/max/min over leading axes of a dense block, as the
 *   bias gradient of a Dense layer): one thread per output, reading
 *   consecutive addresses across threads, with no transpose.
 *
 * Float sums in the sequential loops are compensated (Kahan; a plain sum
 * alongside takes over when it is not finite, since Kahan turns ∞ into NaN). max/min
 * propagate NaN; argmax/argmin return the first extreme, a NaN counting as the
 * extreme, as the CPU backend.
 */

const WG = 256;
const ROW_THREAD = 128;

function isArg(op: ReduceOp): boolean {
  return op === 'argmax' || op === 'argmin';
}

/** WGSL for one op over values of type T: init, fold (acc, v) and the comparison of arg pairs. */
interface OpCode {
  /** The accumulator's WGSL type. */
  acc: string;
  init: string;
  /** Folds an input value (of type T) into the accumulator. */
  fold: (acc: string, v: string) => string;
  /** Combines two accumulators (the tree step). */
  combine?: (a: string, b: string) => string;
}

function opCode(op: ReduceOp, T: 'f32' | 'i32'): OpCode {
  const nz = (v: string): string => (T === 'f32' ? `nz_(${v})` : `(${v} != 0)`);
  switch (op) {
    case 'sum':
      return { acc: T, init: `${T}(0)`, fold: (a, v) => `${a} + ${v}` };
    case 'prod':
      return { acc: T, init: `${T}(1)`, fold: (a, v) => `${a} * ${v}` };
    case 'max':
      return {
        acc: T,
        init: T === 'f32' ? 'ninf_()' : 'bitcast<i32>(0x80000000u)',
        fold: (a, v) => (T === 'f32' ? `fmax_(${a}, ${v})` : `max(${a}, ${v})`),
      };
    case 'min':
      return {
        acc: T,
        init: T === 'f32' ? 'inf_()' : '2147483647',
        fold: (a, v) => (T === 'f32' ? `fmin_(${a}, ${v})` : `min(${a}, ${v})`),
      };
    case 'any':
      return {
        acc: 'i32',
        init: '0',
        fold: (a, v) => `${a} | select(0, 1, ${nz(v)})`,
        combine: (a, b) => `${a} | ${b}`,
      };
    case 'all':
      return {
        acc: 'i32',
        init: '1',
        fold: (a, v) => `${a} & select(0, 1, ${nz(v)})`,
        combine: (a, b) => `${a} & ${b}`,
      };
    default:
      throw new Error(`no fold for ${op}`);
  }
}

/** better(v, i, bv, bi): whether candidate (v, i) beats (bv, bi); NaN is the extreme, ties go to the lower index. */
function betterFn(op: 'argmax' | 'argmin', T: 'f32' | 'i32'): string {
  const cmp = op === 'argmax' ? '>' : '<';
  const nanPart =
    T === 'f32'
      ? 'let vn = isnan_(v); let bn = isnan_(bv); if (vn || bn) { if (vn && bn) { return i < bi; } return vn; }'
      : '';
  return `fn better(v: ${T}, i: u32, bv: ${T}, bi: u32) -> bool { ${nanPart} if (v == bv) { return i < bi; } return v ${cmp} bv; }\n`;
}

function convert(acc: string, from: string, to: DType, op: ReduceOp): string {
  if (isArg(op)) return acc;
  if (to === 'float32') return from === 'f32' ? acc : `f32(${acc})`;
  if (to === 'bool') return from === 'f32' ? `select(0, 1, nz_(${acc}))` : `select(0, 1, ${acc} != 0)`;
  return from === 'f32' ? `toi32_(${acc})` : acc;
}

export function reduce(dev: Device, op: ReduceOp, v: View, axes: number, outDtype: DType): GpuStorage {
  const split = v.shape.length - axes;
  const outer = v.shape.slice(0, split).reduce((a, b) => a * b, 1);
  const inner = v.shape.slice(split).reduce((a, b) => a * b, 1);
  const resultDtype: DType = isArg(op) ? 'int32' : op === 'any' || op === 'all' ? 'bool' : outDtype;
  if (outer === 0 || inner === 0) {
    // Nothing to reduce: the identity, converted as a typed-array store converts it (so int max of nothing is 0, as on the CPU).
    const host = makeTypedArray(resultDtype, outer);
    host.fill(reduceIdentity(op));
    return dev.write(host, resultDtype);
  }
  const T = wgslType(v.dtype);
  const out = dev.alloc(resultDtype, outer);
  const OT = wgslType(resultDtype);
  const head =
    `@group(0) @binding(0) var<storage, read_write> out: array<${OT}>;\n` +
    `@group(0) @binding(1) var<storage, read> x: array<${T}>;\n`;

  if ((op === 'sum' || op === 'max' || op === 'min') && outer > 1 && inner > 1 && isColumnLayout(v, split, outer)) {
    const { acc, init, fold } = opCode(op, T);
    const kahan = op === 'sum' && T === 'f32';
    const body = kahan
      ? `var s: f32 = 0.0; var c: f32 = 0.0; var plain: f32 = 0.0;
  for (var r = 0u; r < inner; r++) { let v = x[base + r * outer]; plain = plain + v; let y = v - c; let t = s + y; c = (t - s) - y; s = t; }
  let a = select(s, plain, isnan_(plain) || isinf_(plain));`
      : `var a: ${acc} = ${init};
  for (var r = 0u; r < inner; r++) { let v = x[base + r * outer]; a = ${fold('a', 'v')}; }`;
    const k = dev.kernel({
      key: `reduce-col|${op}|${T}|${resultDtype}`,
      bindings: ['write', 'read'],
      paramWords: 3,
      code: () =>
        head +
        `@compute @workgroup_size(${WG})\nfn main(${ENTRY_ARGS}) {
  let o = (${WG_INDEX}) * ${WG}u + lid;
  let outer = P(0u); let inner = P(1u);
  if (o >= outer) { return; }
  let base = P(2u) + o;
  ${body}
  out[o] = ${convert('a', acc, resultDtype, op)};
}\n`,
    });
    dev.rt.dispatch(k, [out, storageOf(v.data)], [outer, inner, v.offset], grid(Math.ceil(outer / WG)));
    return out;
  }

  const d = dev.dense(v);
  const perThread = inner <= ROW_THREAD;
  const arg = isArg(op);
  let code: string;
  if (arg) {
    const better = betterFn(op as 'argmax' | 'argmin', T);
    const init =
      op === 'argmax' ? (T === 'f32' ? 'ninf_()' : 'bitcast<i32>(0x80000000u)') : T === 'f32' ? 'inf_()' : '2147483647';
    code = perThread
      ? head +
        better +
        `@compute @workgroup_size(${WG})\nfn main(${ENTRY_ARGS}) {
  let o = (${WG_INDEX}) * ${WG}u + lid;
  let outer = P(0u); let inner = P(1u);
  if (o >= outer) { return; }
  let base = P(2u) + o * inner;
  var bv: ${T} = ${init}; var bi = 0xffffffffu;
  for (var j = 0u; j < inner; j++) { let v = x[base + j]; if (better(v, j, bv, bi)) { bv = v; bi = j; } }
  out[o] = select(i32(bi), 0, bi == 0xffffffffu);
}\n`
      : head +
        better +
        `var<workgroup> sv: array<${T}, ${WG}>;\nvar<workgroup> si: array<u32, ${WG}>;
@compute @workgroup_size(${WG})\nfn main(${ENTRY_ARGS}) {
  let o = ${WG_INDEX};
  let outer = P(0u); let inner = P(1u);
  if (o >= outer) { return; }
  let base = P(2u) + o * inner;
  var bv: ${T} = ${init}; var bi = 0xffffffffu;
  for (var j = lid; j < inner; j += ${WG}u) { let v = x[base + j]; if (better(v, j, bv, bi)) { bv = v; bi = j; } }
  sv[lid] = bv; si[lid] = bi;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { let v = sv[lid + s]; let i = si[lid + s]; if (better(v, i, sv[lid], si[lid])) { sv[lid] = v; si[lid] = i; } }
    workgroupBarrier();
  }
  if (lid == 0u) { out[o] = select(i32(si[0]), 0, si[0] == 0xffffffffu); }
}\n`;
  } else {
    const { acc, init, fold, combine = fold } = opCode(op, T);
    const kahan = op === 'sum' && T === 'f32';
    const loop = (start: string, step: string): string =>
      kahan
        ? `var a: f32 = 0.0; var c: f32 = 0.0; var plain: f32 = 0.0;
  for (var j = ${start}; j < inner; j += ${step}) { let v = x[base + j]; plain = plain + v; let y = v - c; let t = a + y; c = (t - a) - y; a = t; }
  a = select(a, plain, isnan_(plain) || isinf_(plain));`
        : `var a: ${acc} = ${init};
  for (var j = ${start}; j < inner; j += ${step}) { let v = x[base + j]; a = ${fold('a', 'v')}; }`;
    code = perThread
      ? head +
        `@compute @workgroup_size(${WG})\nfn main(${ENTRY_ARGS}) {
  let o = (${WG_INDEX}) * ${WG}u + lid;
  let outer = P(0u); let inner = P(1u);
  if (o >= outer) { return; }
  let base = P(2u) + o * inner;
  ${loop('0u', '1u')}
  out[o] = ${convert('a', acc, resultDtype, op)};
}\n`
      : head +
        `var<workgroup> sa: array<${acc}, ${WG}>;
@compute @workgroup_size(${WG})\nfn main(${ENTRY_ARGS}) {
  let o = ${WG_INDEX};
  let outer = P(0u); let inner = P(1u);
  if (o >= outer) { return; }
  let base = P(2u) + o * inner;
  ${loop('lid', `${WG}u`)}
  sa[lid] = a;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { let v = sa[lid + s]; let a0 = sa[lid]; sa[lid] = ${combine('a0', 'v')}; }
    workgroupBarrier();
  }
  if (lid == 0u) { let r = sa[0]; out[o] = ${convert('r', acc, resultDtype, op)}; }
}\n`;
  }
  const k = dev.kernel({
    key: `reduce-${perThread ? 'thread' : 'group'}|${op}|${T}|${resultDtype}`,
    bindings: ['write', 'read'],
    paramWords: 3,
    code: () => code,
  });
  dev.rt.dispatch(k, [out, d.s], [outer, inner, d.offset], grid(perThread ? Math.ceil(outer / WG) : outer));
  if (d.temp) dev.release(d.s);
  return out;
}
