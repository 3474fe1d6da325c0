import type { GpuStorage } from '../buffers';
import type { Device } from '../context';
import { grid } from '../runtime';
import { ENTRY_ARGS, WG_INDEX } from '../wgsl';

/**
 * Counter-based random numbers, the formulas of @tsdl/tensor's random.ts
 * (mix32 = Wellons' lowbias32; u32 multiplication wraps as Math.imul), so a
 * seed gives the same uniforms on every backend, and normals equal up to
 * float32 rounding (cos_ and log_ are the accurate versions from MATH).
 */

const WG = 256;

const MIX = /* wgsl */ `
fn mix32(x0: u32) -> u32 {
  var x = x0;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  x = x ^ (x >> 16u);
  return x;
}
fn bits(key: u32, i: u32) -> u32 { return mix32(mix32(i ^ key) + key); }
`;

export function random(dev: Device, dist: 'uniform' | 'normal', size: number, key: number): GpuStorage {
  const out = dev.alloc('float32', size);
  if (size === 0) return out;
  const body =
    dist === 'uniform'
      ? 'out[i] = f32(bits(key, i) >> 8u) * 5.960464477539063e-8;'
      : `let u1 = f32((bits(key, 2u * i) >> 8u) + 1u) * 5.960464477539063e-8;
  let u2 = f32(bits(key, 2u * i + 1u) >> 8u) * 5.960464477539063e-8;
  out[i] = sqrt(-2.0 * log_(u1)) * cos_(6.283185307179586 * u2);`;
  const k = dev.kernel({
    key: `random|${dist}`,
    bindings: ['write'],
    paramWords: 2,
    code: () => /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
${MIX}
@compute @workgroup_size(${WG})
fn main(${ENTRY_ARGS}) {
  let i = (${WG_INDEX}) * ${WG}u + lid;
  if (i >= P(0u)) { return; }
  let key = P(1u);
  ${body}
}
`,
  });
  dev.rt.dispatch(k, [out], [size, key >>> 0], grid(Math.ceil(size / WG)));
  return out;
}
