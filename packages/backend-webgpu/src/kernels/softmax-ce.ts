import type { View } from '@tsdl/tensor/backend';
import type { GpuStorage } from '../buffers';
import type { Dense, Device } from '../context';
import { indexStatusCode, indexStatusWgsl } from '../index-status';
import { grid } from '../runtime';
import { ENTRY_ARGS } from '../wgsl';
import { type RowCode, rowCode, WG } from './rows';

/**
 * Fused softmax cross-entropy over the rows of logits [N, C] and its gradient
 * with respect to the logits: the row max and Σ exp(x − max) (a −Infinity
 * row uses 0 as its max), then the loss (a third sum for probability labels)
 * or the gradient row. Short rows take a thread each, long rows a workgroup
 * each with shared-memory trees (`rows.ts`). An index label outside [0, C)
 * gives NaN (its row of the gradient too) and is recorded in the device's
 * index status, which the next read reports (index-status.ts).
 */

const add = (a: string, b: string) => `${a} + ${b}`;

/** WGSL computing `mx` (row max, −Infinity → 0) and `total` (Σ exp(x − mx)) of the row at X[base ..]. */
function rowStats(r: RowCode): string {
  return `
  var m = ninf_();
  ${r.each} { let v = X[base + j]; if (v > m) { m = v; } }
  ${r.tree('mx', 'm', (a, b) => `select(${a}, ${b}, ${b} > ${a})`)}
  if (mx == ninf_()) { mx = 0.0; }
  var part = 0.0;
  ${r.each} { part = part + exp_(X[base + j] - mx); }
  ${r.tree('total', 'part', add)}`;
}

function header(r: RowCode, sparse: boolean, extra: string): string {
  return `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<${sparse ? 'i32' : 'f32'}>;
${extra}
${r.decls}
@compute @workgroup_size(${WG})
fn main(${ENTRY_ARGS}) {
  ${r.row}
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
  const r = rowCode(c);
  const k = dev.kernel({
    key: `softmaxCrossEntropy|${sparse}|${r.key}`,
    bindings: sparse ? ['write', 'read', 'read', 'write'] : ['write', 'read', 'read'],
    paramWords: 4,
    code: () => /* wgsl */ `${header(r, sparse, sparse ? indexStatusWgsl(3) : '')}
  let tb = P(3u);
  ${rowStats(r)}
  let ls = log_(total);
  ${
    sparse
      ? r.once(`
    let y = T[tb + row];
    var loss = nan_();
    if (y >= 0 && u32(y) < c) { loss = ls - (X[base + u32(y)] - mx); }
    else { badIndex_(${indexStatusCode('softmaxCrossEntropy', 'label')}u, y, c); }
    out[row] = loss;`)
      : `var acc = 0.0;
  ${r.each} { acc = acc + T[tb + row * c + j] * (ls - (X[base + j] - mx)); }
  ${r.tree('loss', 'acc', add)}
  ${r.once('out[row] = loss;')}`
  }
}
`,
  });
  const storages = sparse ? [out, x.s, t.s, dev.rt.indexStatus()] : [out, x.s, t.s];
  dev.rt.dispatch(k, storages, [rows, c, x.offset, t.offset], grid(r.groups(rows)));
  release(dev, x, t);
  return out;
}

/** dx [N, C] = (softmax(x)·Σt − t)·dy[n]; Σt is 1 for index labels. */
export function softmaxCrossEntropyGrad(
  dev: Device,
  logits: View,
  labels: View,
  dy: View,
  sparse: boolean,
): GpuStorage {
  const [rows, c] = logits.shape;
  const out = dev.alloc('float32', rows * c);
  if (rows === 0) return out;
  const x = dev.dense(logits);
  const t = dev.dense(labels);
  // dy [N] is read through its stride: a loss seeded with a broadcast scalar (fit's 1/m) has
  // stride 0, and a dense copy of it would cost a dispatch every step.
  const g = dev.storage(dy);
  const r = rowCode(c);
  const k = dev.kernel({
    key: `softmaxCrossEntropyGrad|${sparse}|${r.key}`,
    bindings: sparse ? ['write', 'read', 'read', 'read', 'write'] : ['write', 'read', 'read', 'read'],
    paramWords: 6,
    code: () => /* wgsl */ `${header(r, sparse, `@group(0) @binding(3) var<storage, read> DY: array<f32>;${sparse ? indexStatusWgsl(4) : ''}`)}
  let tb = P(3u);
  let d = DY[P(4u) + row * P(5u)];
  let ob = row * c;
  ${rowStats(r)}
  ${
    sparse
      ? `let y = T[tb + row];
  let ok = y >= 0 && u32(y) < c;
  if (!ok) { ${r.once(`badIndex_(${indexStatusCode('softmaxCrossEntropyGrad', 'label')}u, y, c);`)} }
  ${r.each} {
    let p = exp_(X[base + j] - mx) / total;
    out[ob + j] = select(nan_(), (p - select(0.0, 1.0, i32(j) == y)) * d, ok);
  }`
      : `var tp = 0.0;
  ${r.each} { tp = tp + T[tb + ob + j]; }
  ${r.tree('st', 'tp', add)}
  ${r.each} {
    let p = exp_(X[base + j] - mx) / total;
    out[ob + j] = (p * st - T[tb + ob + j]) * d;
  }`
  }
}
`,
  });
  const storages = sparse ? [out, x.s, t.s, g, dev.rt.indexStatus()] : [out, x.s, t.s, g];
  dev.rt.dispatch(k, storages, [rows, c, x.offset, t.offset, dy.offset, dy.strides[0]], grid(r.groups(rows)));
  release(dev, x, t);
  return out;
}
