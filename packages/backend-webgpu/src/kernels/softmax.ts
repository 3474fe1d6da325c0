import type { View } from '@tsdl/tensor/backend';
import type { GpuStorage } from '../buffers';
import type { Device } from '../context';
import { grid } from '../runtime';
import { ENTRY_ARGS } from '../wgsl';
import { rowCode, WG } from './rows';

/**
 * Softmax or log-softmax over the last axis: the row max (NaN ignored, as the
 * CPU's `x > m`), the sum of exp(x - max), then one pass writing the result;
 * a thread per short row, a workgroup per long row (`rows.ts`). A row of
 * -Infinity uses 0 as its max, as the CPU backend.
 */

export function softmax(dev: Device, x: View, log: boolean): GpuStorage {
  const c = x.shape.length === 0 ? 1 : x.shape[x.shape.length - 1];
  const n = x.shape.reduce((a, b) => a * b, 1);
  const out = dev.alloc('float32', n);
  if (n === 0) return out;
  const rows = n / c;
  const d = dev.dense(x);
  const r = rowCode(c);
  const k = dev.kernel({
    key: `softmax|${log}|${r.key}`,
    bindings: ['write', 'read'],
    paramWords: 3,
    code: () => /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
${r.decls}
@compute @workgroup_size(${WG})
fn main(${ENTRY_ARGS}) {
  ${r.row}
  if (row >= P(0u)) { return; }
  let c = P(1u);
  let base = P(2u) + row * c;
  let ob = row * c;
  var m = ninf_();
  ${r.each} { let v = X[base + j]; if (v > m) { m = v; } }
  ${r.tree('mx0', 'm', (a, b) => `select(${a}, ${b}, ${b} > ${a})`)}
  var mx = mx0;
  if (mx == ninf_()) { mx = 0.0; }
  var sum = 0.0;
  ${r.each} { sum = sum + exp_(X[base + j] - mx); }
  ${r.tree('total', 'sum', (a, b) => `${a} + ${b}`)}
  ${log ? 'let ls = log_(total);' : ''}
  ${r.each} {
    let v = X[base + j] - mx;
    ${log ? 'out[ob + j] = v - ls;' : 'out[ob + j] = exp_(v) / total;'}
  }
}
`,
  });
  dev.rt.dispatch(k, [out, d.s], [rows, c, d.offset], grid(r.groups(rows)));
  if (d.temp) dev.release(d.s);
  return out;
}
