import type { View } from '@tsdl/tensor';
import type { GpuStorage } from '../buffers';
import type { Device } from '../context';
import { grid } from '../runtime';
import { ENTRY_ARGS, WG_INDEX } from '../wgsl';

/**
 * Softmax or log-softmax over the last axis, one workgroup per row: the row
 * max (NaN ignored, as the CPU's `x > m`), the sum of exp(x - max) by a
 * shared-memory tree, then one pass writing the result. A row of -Infinity
 * uses 0 as its max, as the CPU backend.
 */

const WG = 64;

export function softmax(dev: Device, x: View, log: boolean): GpuStorage {
  const c = x.shape.length === 0 ? 1 : x.shape[x.shape.length - 1];
  const n = x.shape.reduce((a, b) => a * b, 1);
  const out = dev.alloc('float32', n);
  if (n === 0) return out;
  const rows = n / c;
  const d = dev.dense(x);
  const k = dev.kernel({
    key: `softmax|${log}`,
    bindings: ['write', 'read'],
    paramWords: 3,
    code: () => /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_ARGS}) {
  let row = ${WG_INDEX};
  if (row >= P(0u)) { return; }
  let c = P(1u);
  let base = P(2u) + row * c;
  let ob = row * c;
  var m = ninf_();
  for (var j = lid; j < c; j += ${WG}u) { let v = X[base + j]; if (v > m) { m = v; } }
  red[lid] = m;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { let v = red[lid + s]; if (v > red[lid]) { red[lid] = v; } }
    workgroupBarrier();
  }
  var mx = red[0];
  if (mx == ninf_()) { mx = 0.0; }
  workgroupBarrier();
  var sum = 0.0;
  for (var j = lid; j < c; j += ${WG}u) { sum = sum + exp_(X[base + j] - mx); }
  red[lid] = sum;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  ${log ? 'let ls = log_(total);' : ''}
  for (var j = lid; j < c; j += ${WG}u) {
    let v = X[base + j] - mx;
    ${log ? 'out[ob + j] = v - ls;' : 'out[ob + j] = exp_(v) / total;'}
  }
}
`,
  });
  dev.rt.dispatch(k, [out, d.s], [rows, c, d.offset], grid(rows));
  if (d.temp) dev.release(d.s);
  return out;
}
