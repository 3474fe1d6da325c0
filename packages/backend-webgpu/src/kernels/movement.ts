import type { DType } from '@tsdl/tensor';
import type { View } from '@tsdl/tensor/backend';
import { contiguousStrides, makeTypedArray, sizeOf } from '@tsdl/tensor/backend';
import type { GpuStorage } from '../buffers';
import type { Device } from '../context';
import { indexStatusCode, indexStatusWgsl } from '../index-status';
import { grid } from '../runtime';
import { ENTRY_ARGS, f32bits, WG_INDEX, wgslType } from '../wgsl';

/**
 * Copies: fill, a strided copy of a view into a strided region of another
 * storage (the body of concat and pad), gather, and scatter-add. Scatter-add
 * accumulates with atomics (a compare-and-swap loop for float32, which WGSL
 * has no atomic add for), so float sums land in an unspecified order.
 * Indices out of range (which the frontend cannot check without reading the
 * GPU) read 0 in gather and are skipped by scatter-add, never out of bounds,
 * and are recorded in the device's index status, which the next read reports
 * (index-status.ts).
 */

const WG = 256;

/** The params word that stores `value` in a `dtype` storage (converted as a typed-array store converts it). */
function valueWord(value: number, dtype: DType): number {
  const t = makeTypedArray(dtype, 1);
  t[0] = value;
  return dtype === 'float32' ? f32bits(t[0]) : t[0];
}

/** Sets the first `n` elements of `s` to `value`. */
export function fill(dev: Device, s: GpuStorage, value: number, n = s.size): GpuStorage {
  if (n === 0) return s;
  const T = wgslType(s.dtype);
  const k = dev.kernel({
    key: `fill|${T}`,
    bindings: ['write'],
    paramWords: 2,
    code: () => /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<${T}>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_ARGS}) {
  let i = (${WG_INDEX}) * ${WG}u + lid;
  if (i >= P(0u)) { return; }
  out[i] = bitcast<${T}>(P(1u));
}
`,
  });
  dev.rt.dispatch(k, [s], [n, valueWord(value, s.dtype)], grid(Math.ceil(n / WG)));
  return s;
}

/** dst[dstOffset + Σ c_d · dstStrides_d] = src[c] for every index c of src's shape. */
export function copyInto(
  dev: Device,
  src: View,
  dst: GpuStorage,
  dstStrides: readonly number[],
  dstOffset: number,
): void {
  const n = sizeOf(src.shape);
  if (n === 0) return;
  const shape = src.shape.length === 0 ? [1] : src.shape;
  const srcStrides = src.strides.length === 0 ? [0] : src.strides;
  const dstS = dstStrides.length === 0 ? [0] : dstStrides;
  const R = shape.length;
  const T = wgslType(src.dtype);
  // Words: n, src offset, dst offset, shape[R], src strides[R], dst strides[R].
  const steps: string[] = [];
  for (let d = R - 1; d >= 0; d--) {
    steps.push(
      `{ let size = P(${3 + d}u); let c = i32(rem % size); rem = rem / size; ` +
        `s = s + c * bitcast<i32>(P(${3 + R + d}u)); t = t + c * bitcast<i32>(P(${3 + 2 * R + d}u)); }`,
    );
  }
  const k = dev.kernel({
    key: `copy|${T}|${R}`,
    bindings: ['write', 'read'],
    paramWords: 3 + 3 * R,
    code: () => /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<${T}>;
@group(0) @binding(1) var<storage, read> X: array<${T}>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_ARGS}) {
  let i = (${WG_INDEX}) * ${WG}u + lid;
  if (i >= P(0u)) { return; }
  var rem = i;
  var s = bitcast<i32>(P(1u));
  var t = bitcast<i32>(P(2u));
  ${steps.join('\n  ')}
  out[t] = X[s];
}
`,
  });
  dev.rt.dispatch(
    k,
    [dst, dev.storage(src)],
    [n, src.offset, dstOffset, ...shape, ...srcStrides, ...dstS],
    grid(Math.ceil(n / WG)),
  );
}

export function concat(dev: Device, xs: readonly View[], axis: number, outShape: readonly number[]): GpuStorage {
  const out = dev.alloc(xs[0].dtype, sizeOf(outShape));
  const strides = contiguousStrides(outShape);
  let at = 0;
  for (const x of xs) {
    copyInto(dev, x, out, strides, at * strides[axis]);
    at += x.shape[axis];
  }
  return out;
}

export function pad(dev: Device, x: View, pads: readonly (readonly [number, number])[], value: number): GpuStorage {
  const outShape = x.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const out = dev.alloc(x.dtype, sizeOf(outShape));
  fill(dev, out, value);
  const strides = contiguousStrides(outShape);
  const offset = pads.reduce((acc, p, i) => acc + p[0] * strides[i], 0);
  copyInto(dev, x, out, strides, offset);
  return out;
}

/** Words shared by gather and scatter-add: total, inner, index count, axis size, data offset, indices offset. */
const INDEXING = /* wgsl */ `
fn inner() -> u32 { return P(1u); }
fn nIdx() -> u32 { return P(2u); }
fn axisSize() -> i32 { return i32(P(3u)); }
`;

export function gather(dev: Device, x: View, indices: View, axis: number): GpuStorage {
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const nIdx = sizeOf(indices.shape);
  const n = outer * nIdx * inner;
  const out = dev.alloc(x.dtype, n);
  if (n === 0) return out;
  const dx = dev.dense(x);
  const di = dev.dense(indices);
  const T = wgslType(x.dtype);
  const k = dev.kernel({
    key: `gather|${T}`,
    bindings: ['write', 'read', 'read', 'write'],
    paramWords: 6,
    code: () => /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<${T}>;
@group(0) @binding(1) var<storage, read> X: array<${T}>;
@group(0) @binding(2) var<storage, read> I: array<i32>;
${indexStatusWgsl(3)}
${INDEXING}
@compute @workgroup_size(${WG})
fn main(${ENTRY_ARGS}) {
  let t = (${WG_INDEX}) * ${WG}u + lid;
  if (t >= P(0u)) { return; }
  let j = t % inner();
  let q = t / inner();
  let idx = I[P(5u) + q % nIdx()];
  if (idx < 0 || idx >= axisSize()) {
    out[t] = ${T}(0);
    if (j == 0u) { badIndex_(${indexStatusCode('gather')}u, idx, u32(axisSize())); }
    return;
  }
  let o = q / nIdx();
  out[t] = X[P(4u) + (o * u32(axisSize()) + u32(idx)) * inner() + j];
}
`,
  });
  dev.rt.dispatch(
    k,
    [out, dx.s, di.s, dev.rt.indexStatus()],
    [n, inner, nIdx, x.shape[axis], dx.offset, di.offset],
    grid(Math.ceil(n / WG)),
  );
  if (dx.temp) dev.release(dx.s);
  if (di.temp) dev.release(di.s);
  return out;
}

export function scatterAdd(
  dev: Device,
  updates: View,
  indices: View,
  axis: number,
  outShape: readonly number[],
): GpuStorage {
  const out = dev.alloc(updates.dtype, sizeOf(outShape));
  fill(dev, out, 0);
  const n = sizeOf(updates.shape);
  if (n === 0) return out;
  const inner = sizeOf(outShape.slice(axis + 1));
  const nIdx = sizeOf(indices.shape);
  const du = dev.dense(updates);
  const di = dev.dense(indices);
  const float = updates.dtype === 'float32';
  const add = float
    ? `var old = atomicLoad(&out[p]);
  loop {
    let r = atomicCompareExchangeWeak(&out[p], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }`
    : 'atomicAdd(&out[p], v);';
  const k = dev.kernel({
    key: `scatter-add|${float ? 'f32' : 'i32'}`,
    bindings: ['write', 'read', 'read', 'write'],
    paramWords: 6,
    code: () => /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<atomic<${float ? 'u32' : 'i32'}>>;
@group(0) @binding(1) var<storage, read> U: array<${float ? 'f32' : 'i32'}>;
@group(0) @binding(2) var<storage, read> I: array<i32>;
${indexStatusWgsl(3)}
${INDEXING}
@compute @workgroup_size(${WG})
fn main(${ENTRY_ARGS}) {
  let t = (${WG_INDEX}) * ${WG}u + lid;
  if (t >= P(0u)) { return; }
  let j = t % inner();
  let q = t / inner();
  let idx = I[P(5u) + q % nIdx()];
  if (idx < 0 || idx >= axisSize()) {
    if (j == 0u) { badIndex_(${indexStatusCode('scatterAdd')}u, idx, u32(axisSize())); }
    return;
  }
  let o = q / nIdx();
  let p = (o * u32(axisSize()) + u32(idx)) * inner() + j;
  let v = U[P(4u) + t];
  ${add}
}
`,
  });
  dev.rt.dispatch(
    k,
    [out, du.s, di.s, dev.rt.indexStatus()],
    [n, inner, nIdx, outShape[axis], du.offset, di.offset],
    grid(Math.ceil(n / WG)),
  );
  if (du.temp) dev.release(du.s);
  if (di.temp) dev.release(di.s);
  return out;
}
