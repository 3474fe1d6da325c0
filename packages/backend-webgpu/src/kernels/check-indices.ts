import type { View } from '@tsdl/tensor/backend';
import { isContiguous, sizeOf } from '@tsdl/tensor/backend';
import type { Device } from '../context';
import { indexStatusCode, indexStatusWgsl } from '../index-status';
import { grid } from '../runtime';
import { ENTRY_ARGS, WG_INDEX } from '../wgsl';

/**
 * Backend.checkIndices: one kernel that looks at every value of an int32 view and records
 * the first outside [0, size) (other than an allowed `ignore`) in the device's index
 * status under the op's code, which the next read reports (index-status.ts). It writes
 * nothing else. The frontend runs it only for indices computed on the GPU that no kernel
 * takes as indices (oneHot's `eq`, nn's nllLoss), so fit on host-written labels never
 * runs it. The view is read through its strides (a dense one as one run of `n` values):
 * no copy, so the check is one dispatch.
 */

const WG = 256;

export function checkIndices(dev: Device, indices: View, size: number, op: string, ignore?: number): void {
  const n = sizeOf(indices.shape);
  if (n === 0) return;
  const dense = isContiguous(indices.shape, indices.strides);
  const shape = dense ? [n] : indices.shape;
  const strides = dense ? [1] : indices.strides;
  const R = shape.length;
  // Words: n, size, ignore (i32 bits), whether ignore is given, status code, offset, shape[R], strides[R].
  const steps: string[] = [];
  for (let d = R - 1; d >= 0; d--) {
    steps.push(
      `{ let c = i32(rem % P(${6 + d}u)); rem = rem / P(${6 + d}u); s = s + c * bitcast<i32>(P(${6 + R + d}u)); }`,
    );
  }
  const k = dev.kernel({
    key: `checkIndices|${R}`,
    bindings: ['read', 'write'],
    paramWords: 6 + 2 * R,
    code: () => /* wgsl */ `
@group(0) @binding(0) var<storage, read> I: array<i32>;
${indexStatusWgsl(1)}
@compute @workgroup_size(${WG})
fn main(${ENTRY_ARGS}) {
  let i = (${WG_INDEX}) * ${WG}u + lid;
  if (i >= P(0u)) { return; }
  var rem = i;
  var s = bitcast<i32>(P(5u));
  ${steps.join('\n  ')}
  let v = I[s];
  let end = P(1u);
  let allowed = P(3u) != 0u && v == bitcast<i32>(P(2u));
  if ((v < 0 || u32(v) >= end) && !allowed) { badIndex_(P(4u), v, end); }
}
`,
  });
  const code = indexStatusCode(op, 'index', ignore);
  // An ignore value no int32 equals (fractional, out of range) allows nothing.
  const allow = ignore !== undefined && Number.isInteger(ignore) && ignore >= -(2 ** 31) && ignore < 2 ** 31;
  const params = [n, size, allow ? ignore : 0, allow ? 1 : 0, code, indices.offset, ...shape, ...strides];
  dev.rt.dispatch(k, [dev.storage(indices), dev.rt.indexStatus()], params, grid(Math.ceil(n / WG)));
}
