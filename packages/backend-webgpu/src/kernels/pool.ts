import type { Pool2dParams, View } from '@tsdl/tensor/backend';
import type { GpuStorage } from '../buffers';
import type { Device } from '../context';
import { grid } from '../runtime';
import { ENTRY_ARGS, WG_INDEX } from '../wgsl';

/**
 * Max and average pooling over NHWC windows, one thread per output cell
 * (channels fastest, so neighbouring threads read neighbouring addresses).
 * Padding cells never win a max and are not counted by the average. The
 * gradient runs one thread per input cell, summing over the windows that
 * cover it (no atomics); a max window sends its gradient to its first
 * maximum, found by the same scan as the forward pass and the CPU backend.
 */

const WG = 256;

const GEOMETRY = /* wgsl */ `
fn inH() -> i32 { return i32(P(1u)); }
fn inW() -> i32 { return i32(P(2u)); }
fn C() -> u32 { return P(3u); }
fn outH() -> i32 { return i32(P(4u)); }
fn outW() -> i32 { return i32(P(5u)); }
fn kH() -> i32 { return i32(P(6u)); }
fn kW() -> i32 { return i32(P(7u)); }
fn sH() -> i32 { return i32(P(8u)); }
fn sW() -> i32 { return i32(P(9u)); }
fn padTop() -> i32 { return i32(P(10u)); }
fn padLeft() -> i32 { return i32(P(11u)); }
fn xOff() -> u32 { return P(12u); }
fn dyOff() -> u32 { return P(13u); }
// The clipped window of output (oy, ox): y in [y0, y1), x in [x0, x1).
fn win(oy: i32, ox: i32) -> vec4<i32> {
  let ya = oy * sH() - padTop();
  let xa = ox * sW() - padLeft();
  return vec4<i32>(max(ya, 0), min(ya + kH(), inH()), max(xa, 0), min(xa + kW(), inW()));
}
// Flat index (within the image) of the first maximum of channel c in a window, or -1 when no cell beats -Infinity.
fn argmaxIn(img: u32, c: u32, w: vec4<i32>) -> i32 {
  var best = ninf_();
  var at = -1;
  for (var y = w.x; y < w.y; y++) {
    for (var x = w.z; x < w.w; x++) {
      let i = (y * inW() + x) * i32(C()) + i32(c);
      let v = X[xOff() + img + u32(i)];
      if (v > best || (at < 0 && isnan_(v))) { best = v; at = i; }
    }
  }
  return at;
}
`;

function params(p: Pool2dParams, n: number, xOff: number, dyOff: number): number[] {
  return [
    n,
    p.inH,
    p.inW,
    p.channels,
    p.outH,
    p.outW,
    p.kH,
    p.kW,
    p.strideH,
    p.strideW,
    p.padTop,
    p.padLeft,
    xOff,
    dyOff,
  ];
}

export function pool2d(dev: Device, x: View, p: Pool2dParams): GpuStorage {
  const n = p.batch * p.outH * p.outW * p.channels;
  const out = dev.alloc('float32', n);
  if (n === 0) return out;
  const dx = dev.dense(x);
  const max = p.kind === 'max';
  const k = dev.kernel({
    key: `pool2d|${p.kind}`,
    bindings: ['write', 'read'],
    paramWords: 14,
    code: () => /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
${GEOMETRY}
@compute @workgroup_size(${WG})
fn main(${ENTRY_ARGS}) {
  let i = (${WG_INDEX}) * ${WG}u + lid;
  if (i >= P(0u)) { return; }
  let c = i % C();
  let cell = i / C();
  let ox = i32(cell % u32(outW()));
  let oy = i32((cell / u32(outW())) % u32(outH()));
  let b = cell / u32(outW() * outH());
  let img = b * u32(inH() * inW()) * C();
  let w = win(oy, ox);
  var acc = ${max ? 'ninf_()' : '0.0'};
  for (var y = w.x; y < w.y; y++) {
    for (var x = w.z; x < w.w; x++) {
      let v = X[xOff() + img + u32(y * inW() + x) * C() + c];
      ${max ? 'if (v > acc || isnan_(v)) { acc = v; }' : 'acc = acc + v;'}
    }
  }
  ${max ? 'out[i] = acc;' : 'out[i] = acc / f32((w.y - w.x) * (w.w - w.z));'}
}
`,
  });
  dev.rt.dispatch(k, [out, dx.s], params(p, n, dx.offset, 0), grid(Math.ceil(n / WG)));
  if (dx.temp) dev.release(dx.s);
  return out;
}

export function pool2dGrad(dev: Device, x: View, dy: View, p: Pool2dParams): GpuStorage {
  const n = p.batch * p.inH * p.inW * p.channels;
  const out = dev.alloc('float32', n);
  if (n === 0) return out;
  const max = p.kind === 'max';
  const ddy = dev.dense(dy);
  // Average pooling never reads x; bind dy in its place so the layout stays the same.
  const dx = max ? dev.dense(x) : ddy;
  const k = dev.kernel({
    key: `pool2d-grad|${p.kind}`,
    bindings: ['write', 'read', 'read'],
    paramWords: 14,
    code: () => /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> DY: array<f32>;
${GEOMETRY}
@compute @workgroup_size(${WG})
fn main(${ENTRY_ARGS}) {
  let i = (${WG_INDEX}) * ${WG}u + lid;
  if (i >= P(0u)) { return; }
  let c = i % C();
  let cell = i / C();
  let x = i32(cell % u32(inW()));
  let y = i32((cell / u32(inW())) % u32(inH()));
  let b = cell / u32(inW() * inH());
  let img = b * u32(inH() * inW()) * C();
  let me = (y * inW() + x) * i32(C()) + i32(c);
  // Windows covering row y: oy * sH - padTop <= y < oy * sH - padTop + kH.
  let oyA = max(0, (y + padTop() - kH() + sH()) / sH());
  let oyB = min(outH() - 1, (y + padTop()) / sH());
  let oxA = max(0, (x + padLeft() - kW() + sW()) / sW());
  let oxB = min(outW() - 1, (x + padLeft()) / sW());
  var acc = 0.0;
  for (var oy = oyA; oy <= oyB; oy++) {
    for (var ox = oxA; ox <= oxB; ox++) {
      let g = DY[dyOff() + (b * u32(outH() * outW()) + u32(oy * outW() + ox)) * C() + c];
      let w = win(oy, ox);
      ${max ? 'if (argmaxIn(img, c, w) == me) { acc = acc + g; }' : 'acc = acc + g / f32((w.y - w.x) * (w.w - w.z));'}
    }
  }
  out[i] = acc;
}
`,
  });
  dev.rt.dispatch(k, [out, dx.s, ddy.s], params(p, n, dx.offset, ddy.offset), grid(Math.ceil(n / WG)));
  if (ddy.temp) dev.release(ddy.s);
  if (max && dx.temp) dev.release(dx.s);
  return out;
}
