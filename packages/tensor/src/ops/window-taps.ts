import type { Tensor } from '../tensor';
import { trailingReach } from './conv-geometry';
import { pad, slice } from './shape';

/** Where the windows of a convolution or pool sit on an NHWC input. */
export interface WindowGeometry {
  readonly outH: number;
  readonly outW: number;
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/**
 * The reference lowering of a windowed op: x [N,H,W,C] padded with `padValue`
 * (as far as the windows reach), then one strided view [N,outH,outW,C] per
 * tap (ky, kx), in row-major tap order. A window op is then kH·kW elementwise
 * steps over these views (sum of products, max, sum), which every backend
 * runs and autograd differentiates (a view's gradient is a pad). It costs
 * about 2·kH·kW passes over the output, so it serves the cases the backend's
 * window kernels cannot express (depthwise filters, dilated pools). Call it
 * inside tidy(): the padded copy is an intermediate.
 */
export function windowTaps(x: Tensor, g: WindowGeometry, padValue: number): Tensor[] {
  const [, inH, inW] = x.shape;
  const bottom = Math.max(0, trailingReach(inH, g.outH, g.padTop, g.kH, g.strideH, g.dilationH));
  const right = Math.max(0, trailingReach(inW, g.outW, g.padLeft, g.kW, g.strideW, g.dilationW));
  const padded =
    g.padTop || bottom || g.padLeft || right
      ? pad(
          x,
          [
            [0, 0],
            [g.padTop, bottom],
            [g.padLeft, right],
            [0, 0],
          ],
          padValue,
        )
      : x;
  const taps: Tensor[] = [];
  for (let ky = 0; ky < g.kH; ky++) {
    for (let kx = 0; kx < g.kW; kx++) {
      const y0 = ky * g.dilationH;
      const x0 = kx * g.dilationW;
      taps.push(
        slice(
          padded,
          [0, y0, x0, 0],
          [null, y0 + (g.outH - 1) * g.strideH + 1, x0 + (g.outW - 1) * g.strideW + 1, null],
          [1, g.strideH, g.strideW, 1],
        ),
      );
    }
  }
  return taps;
}
