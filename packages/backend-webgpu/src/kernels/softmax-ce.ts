import type { View } from '@tsdl/tensor';
import type { GpuStorage } from '../buffers';
import type { Dense, Device } from '../context';
import { grid } from '../runtime';
import { ENTRY_ARGS, WG_INDEX } from '../wgsl';

/**
 * Fused softmax cross-entropy over the rows of logits [N, C] and its gradient
 * with respect to the logits, one workgroup per row: the row max and
 * Σ exp(x − max) by shared-memory trees (as the softmax kernel; a −Infinity
 * row uses 0 as its max), then the loss (a third tree for probability labels)
 * or the gradient row. An index label outside [0, C) gives NaN.
 */

const WG = 64;

/** Tree-reduces `value` (one per invocation) with `combine` into `name`, leaving `red` free for reuse. */
function tree(name: string, value: string, combine: (a: string, b: string) => string): string {
  return `
  red[lid] = ${value};
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = ${combine('red[lid]', 'red[lid + s]')}; }
    workgroupBarrier();
  }
  var ${name} = red[0];
  workgroupBarrier();`;
}

const add = (a: string, b: string) => `${a} + ${b}`;

/** WGSL computing `mx` (row max, −Infinity → 0) and `total` (Σ exp(x − mx)) of the row at X[base ..]. */
const ROW_STATS = `
  var m = ninf_();
  for (var j = lid; j < c; j += ${WG}u) { let v = X[base + j]; if (v > m) { m = v; } }
  ${tree('mx', 'm', (a, b) => `select(${a}, ${b}, ${b} > ${a})`)}
  if (mx == ninf_()) { mx = 0.0; }
  var part = 0.0;
  for (var j = lid; j < c; j += ${WG}u) { part = part + exp_(X[base + j] - mx); }
  ${tree('total', 'part', add)}`;

function header(sparse: boolean, extra: string): string {
  return `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<${sparse ? 'i32' : 'f32'}>;
${extra}
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_ARGS}) {
  let row = ${WG_INDEX};
  if (row >= P(0u)) { return; }
  let c = P(1u);
  let base = P(2u) + row * c;`;
}

function release(dev: Device, ...ds: Dense[]): void {
  for (const d of ds) if (d.temp) dev.release(d.s);
}

/** loss [N]: logSumExp(x) − x[y] (sparse), or Σ_c t_c·(logSumExp(x) − x_c). */
export function softmaxCrossEntropy(dev: Device, logits: View, labels: View, sparse: boolean): GpuStorage {
  const [rows, c] = logits.shape;
  const out = dev.alloc('float32', rows);
  if (rows === 0) return out;
  const x = dev.dense(logits);
  const t = dev.dense(labels);
  const k = dev.kernel({
    key: `softmaxCrossEntropy|${sparse}`,
    bindings: ['write', 'read', 'read'],
    paramWords: 4,
    code: () => /* wgsl */ `${header(sparse, '')}
  let tb = P(3u);
  ${ROW_STATS}
  let ls = log_(total);
  ${
    sparse
      ? `if (lid == 0u) {
    let y = T[tb + row];
    var loss = nan_();
    if (y >= 0 && u32(y) < c) { loss = ls - (X[base + u32(y)] - mx); }
    out[row] = loss;
  }`
      : `var acc = 0.0;
  for (var j = lid; j < c; j += ${WG}u) { acc = acc + T[tb + row * c + j] * (ls - (X[base + j] - mx)); }
  ${tree('loss', 'acc', add)}
  if (lid == 0u) { out[row] = loss; }`
  }
}
`,
  });
  dev.rt.dispatch(k, [out, x.s, t.s], [rows, c, x.offset, t.offset], grid(rows));
  release(dev, x, t);
  return out;
}

/** dx [N, C] = (softmax(x)·Σt − t)·dy[n]; Σt is 1 for index labels. */
export function softmaxCrossEntropyGrad(dev: Device, logits: View, labels: View, dy: View, sparse: boolean): GpuStorage {
  const [rows, c] = logits.shape;
  const out = dev.alloc('float32', rows * c);
  if (rows === 0) return out;
  const x = dev.dense(logits);
  const t = dev.dense(labels);
  const g = dev.dense(dy);
  const k = dev.kernel({
    key: `softmaxCrossEntropyGrad|${sparse}`,
    bindings: ['write', 'read', 'read', 'read'],
    paramWords: 5,
    code: () => /* wgsl */ `${header(sparse, '@group(0) @binding(3) var<storage, read> DY: array<f32>;')}
  let tb = P(3u);
  let d = DY[P(4u) + row];
  let ob = row * c;
  ${ROW_STATS}
  ${
    sparse
      ? `let y = T[tb + row];
  let ok = y >= 0 && u32(y) < c;
  for (var j = lid; j < c; j += ${WG}u) {
    let p = exp_(X[base + j] - mx) / total;
    out[ob + j] = select(nan_(), (p - select(0.0, 1.0, i32(j) == y)) * d, ok);
  }`
      : `var tp = 0.0;
  for (var j = lid; j < c; j += ${WG}u) { tp = tp + T[tb + ob + j]; }
  ${tree('st', 'tp', add)}
  for (var j = lid; j < c; j += ${WG}u) {
    let p = exp_(X[base + j] - mx) / total;
    out[ob + j] = (p * st - T[tb + ob + j]) * d;
  }`
  }
}
`,
  });
  dev.rt.dispatch(k, [out, x.s, t.s, g.s], [rows, c, x.offset, t.offset, g.offset], grid(rows));
  release(dev, x, t, g);
  return out;
}
