import type { Conv2dParams, View } from '@tsdl/tensor/backend';
import type { GpuStorage } from '../buffers';
import type { Device, Dense } from '../context';
import { GEMM_WORDS, runGemm } from './gemm';

/**
 * conv2d and its two gradients as implicit GEMMs on the shared tiled kernel:
 * the loaders compute im2col addresses on the fly, so no column matrix is
 * ever materialised and nothing is scattered (no atomics).
 *
 * - conv2d:      [N·oH·oW, kH·kW·C] · [kH·kW·C, O]
 * - grad input:  [N·H·W, kH·kW·O] · [kH·kW·O, C], where A picks the dy cell
 *                whose window covers the input cell (0 when the stride skips it)
 * - grad filter: [kH·kW·C, N·oH·oW] · [N·oH·oW, O]
 *
 * Inputs that are not dense are copied first. Layouts: NHWC input, HWIO filter.
 */

/** Parameter accessors (the 16 words after the GEMM's own) shared by the three loaders. */
const W = GEMM_WORDS;
const GEOMETRY = /* wgsl */ `
fn bases(b: u32) -> vec2<i32> { return vec2<i32>(0, 0); }
fn inH() -> u32 { return P(${W + 0}u); }
fn inW() -> u32 { return P(${W + 1}u); }
fn inC() -> u32 { return P(${W + 2}u); }
fn outH() -> u32 { return P(${W + 3}u); }
fn outW() -> u32 { return P(${W + 4}u); }
fn outC() -> u32 { return P(${W + 5}u); }
fn kW() -> u32 { return P(${W + 7}u); }
fn sH() -> u32 { return P(${W + 8}u); }
fn sW() -> u32 { return P(${W + 9}u); }
fn dH() -> u32 { return P(${W + 10}u); }
fn dW() -> u32 { return P(${W + 11}u); }
fn padTop() -> i32 { return bitcast<i32>(P(${W + 12}u)); }
fn padLeft() -> i32 { return bitcast<i32>(P(${W + 13}u)); }
fn offA() -> u32 { return P(${W + 14}u); }
fn offB() -> u32 { return P(${W + 15}u); }
// The input cell under output (oy, ox) and tap (ky, kx), as signed coordinates.
fn tapY(oy: u32, ky: u32) -> i32 { return i32(oy * sH() + ky * dH()) - padTop(); }
fn tapX(ox: u32, kx: u32) -> i32 { return i32(ox * sW() + kx * dW()) - padLeft(); }
fn inside(iy: i32, ix: i32) -> bool { return iy >= 0 && ix >= 0 && iy < i32(inH()) && ix < i32(inW()); }
`;

function geometry(p: Conv2dParams, offA: number, offB: number): number[] {
  return [
    p.inH,
    p.inW,
    p.inC,
    p.outH,
    p.outW,
    p.outC,
    p.kH,
    p.kW,
    p.strideH,
    p.strideW,
    p.dilationH,
    p.dilationW,
    p.padTop,
    p.padLeft,
    offA,
    offB,
  ];
}

function withDense<T>(dev: Device, views: View[], f: (d: Dense[]) => T): T {
  const ds = views.map((v) => dev.dense(v));
  try {
    return f(ds);
  } finally {
    for (const d of ds) if (d.temp) dev.release(d.s);
  }
}

const FORWARD = /* wgsl */ `
fn loadA(base: vec2<i32>, m: u32, k: u32) -> f32 {
  let ohw = outH() * outW();
  let n = m / ohw;
  let r = m % ohw;
  let kwc = kW() * inC();
  let ky = k / kwc;
  let r2 = k % kwc;
  let kx = r2 / inC();
  let c = r2 % inC();
  let iy = tapY(r / outW(), ky);
  let ix = tapX(r % outW(), kx);
  if (!inside(iy, ix)) { return 0.0; }
  return X[offA() + ((n * inH() + u32(iy)) * inW() + u32(ix)) * inC() + c];
}
fn loadB(base: vec2<i32>, k: u32, n: u32) -> f32 { return Wt[offB() + k * outC() + n]; }
`;

export function conv2d(dev: Device, x: View, w: View, p: Conv2dParams): GpuStorage {
  const out = dev.alloc('float32', p.batch * p.outH * p.outW * p.outC);
  const K = p.kH * p.kW * p.inC;
  const M = p.batch * p.outH * p.outW;
  if (M * p.outC === 0) return out;
  if (K === 0) return dev.fill(out, 0);
  withDense(dev, [x, w], ([dx, dw]) => {
    runGemm(
      dev,
      { key: 'conv2d', inputs: ['X', 'Wt'], code: GEOMETRY + FORWARD },
      out,
      [dx.s, dw.s],
      { M, K, N: p.outC, batch: 1 },
      geometry(p, dx.offset, dw.offset),
    );
  });
  return out;
}

const GRAD_INPUT = /* wgsl */ `
fn loadA(base: vec2<i32>, m: u32, k: u32) -> f32 {
  let hw = inH() * inW();
  let n = m / hw;
  let r = m % hw;
  let iy = r / inW();
  let ix = r % inW();
  let kwo = kW() * outC();
  let ky = k / kwo;
  let r2 = k % kwo;
  let kx = r2 / outC();
  let o = r2 % outC();
  let ty = i32(iy) + padTop() - i32(ky * dH());
  let tx = i32(ix) + padLeft() - i32(kx * dW());
  if (ty < 0 || tx < 0) { return 0.0; }
  if (u32(ty) % sH() != 0u || u32(tx) % sW() != 0u) { return 0.0; }
  let oy = u32(ty) / sH();
  let ox = u32(tx) / sW();
  if (oy >= outH() || ox >= outW()) { return 0.0; }
  return DY[offA() + ((n * outH() + oy) * outW() + ox) * outC() + o];
}
fn loadB(base: vec2<i32>, k: u32, c: u32) -> f32 {
  let kwo = kW() * outC();
  let ky = k / kwo;
  let r2 = k % kwo;
  let kx = r2 / outC();
  let o = r2 % outC();
  return Wt[offB() + ((ky * kW() + kx) * inC() + c) * outC() + o];
}
`;

export function conv2dGradInput(dev: Device, dy: View, w: View, p: Conv2dParams): GpuStorage {
  const out = dev.alloc('float32', p.batch * p.inH * p.inW * p.inC);
  const M = p.batch * p.inH * p.inW;
  const K = p.kH * p.kW * p.outC;
  if (M * p.inC === 0) return out;
  if (K === 0) return dev.fill(out, 0);
  withDense(dev, [dy, w], ([ddy, dw]) => {
    runGemm(
      dev,
      { key: 'conv2d-dx', inputs: ['DY', 'Wt'], code: GEOMETRY + GRAD_INPUT, bContiguous: 'k' },
      out,
      [ddy.s, dw.s],
      { M, K, N: p.inC, batch: 1 },
      geometry(p, ddy.offset, dw.offset),
    );
  });
  return out;
}

const GRAD_FILTER = /* wgsl */ `
fn loadA(base: vec2<i32>, m: u32, k: u32) -> f32 {
  let kwc = kW() * inC();
  let ky = m / kwc;
  let r2 = m % kwc;
  let kx = r2 / inC();
  let c = r2 % inC();
  let ohw = outH() * outW();
  let n = k / ohw;
  let r = k % ohw;
  let iy = tapY(r / outW(), ky);
  let ix = tapX(r % outW(), kx);
  if (!inside(iy, ix)) { return 0.0; }
  return X[offA() + ((n * inH() + u32(iy)) * inW() + u32(ix)) * inC() + c];
}
fn loadB(base: vec2<i32>, k: u32, o: u32) -> f32 { return DY[offB() + k * outC() + o]; }
`;

export function conv2dGradFilter(dev: Device, x: View, dy: View, p: Conv2dParams): GpuStorage {
  const M = p.kH * p.kW * p.inC;
  const K = p.batch * p.outH * p.outW;
  const out = dev.alloc('float32', M * p.outC);
  if (M * p.outC === 0) return out;
  if (K === 0) return dev.fill(out, 0);
  withDense(dev, [x, dy], ([dx, ddy]) => {
    runGemm(
      dev,
      { key: 'conv2d-dw', inputs: ['X', 'DY'], code: GEOMETRY + GRAD_FILTER, aContiguous: 'm' },
      out,
      [dx.s, ddy.s],
      { M, K, N: p.outC, batch: 1 },
      geometry(p, dx.offset, ddy.offset),
    );
  });
  return out;
}
