import { ArgumentError, type Tensor, gather, reshape, tensor, tidy } from '@tsdl/tensor';

/**
 * TensorFlow's ImageProjectiveTransformV3 (Keras' affine_transform on its TensorFlow
 * backend), composed of gather and products: output pixel (x, y) of image b reads the
 * input at ((a0·x + a1·y + a2) / k, (b0·x + b1·y + b2) / k), k = c0·x + c1·y + 1, with
 * transform [a0, a1, a2, b0, b1, b2, c0, c1] per image. The sampling positions, the fill
 * mode's mapping and the interpolation weights are computed on the host in float32 steps
 * as TensorFlow's kernel does; the image is then read with four gathers (one for
 * 'nearest'), so the result has a gradient with respect to the image.
 */

export type FillMode = 'reflect' | 'wrap' | 'constant' | 'nearest';
export type Interpolation = 'bilinear' | 'nearest';
export const FILL_MODES: readonly FillMode[] = ['reflect', 'wrap', 'constant', 'nearest'];

const f = Math.fround;

/** An out-of-range coordinate mapped into [0, len − 1] by the fill mode (TensorFlow's MapCoordinate); 'constant' leaves it. */
export function mapCoordinate(c: number, len: number, mode: FillMode): number {
  let v = c;
  if (mode === 'constant') return c;
  if (mode === 'reflect') {
    // [abcd] to [dcba|abcd|dcba].
    if (c < 0) {
      if (len <= 1) v = 0;
      else {
        const sz2 = 2 * len;
        if (v < -sz2) v = f(sz2 * Math.trunc(-v / sz2) + v);
        v = v < -len ? f(v + sz2) : f(-v - 1);
      }
    } else if (c > len - 1) {
      if (len <= 1) v = 0;
      else {
        const sz2 = 2 * len;
        v = f(v - sz2 * Math.trunc(v / sz2));
        if (v >= len) v = f(sz2 - v - 1);
      }
    }
  } else if (mode === 'wrap') {
    // [abcd] to [abcd|abcd|abcd], as TensorFlow computes it.
    if (c < 0) {
      if (len <= 1) v = 0;
      else {
        const sz = len - 1;
        v = f(v + len * (Math.trunc(-v / sz) + 1));
      }
    } else if (c > len - 1) {
      if (len <= 1) v = 0;
      else {
        const sz = len - 1;
        v = f(v - len * Math.trunc(v / sz));
      }
    }
  }
  return Math.min(Math.max(v, 0), len - 1);
}

export interface SamplerOptions {
  interpolation: Interpolation;
  fillMode: FillMode;
  fillValue: number;
}

/** Applies one transform per image to channels-last images [batch, h, w, c]; the output has the input's shape. */
export function affineTransform(x: Tensor, transforms: ArrayLike<number>, o: SamplerOptions): Tensor {
  const [B, H, W, C] = x.shape;
  if (transforms.length !== 8 * B)
    throw new ArgumentError(
      `affineTransform: expected ${8 * B} transform entries (8 per image), got ${transforms.length}`,
    );
  const N = B * H * W;
  const corners = o.interpolation === 'bilinear' ? 4 : 1;
  const idx = Array.from({ length: corners }, () => new Int32Array(N));
  const wts = Array.from({ length: corners }, () => new Float32Array(N));
  const fill = new Float32Array(N);
  let any = false;
  for (let b = 0; b < B; b++) {
    const t = Array.from({ length: 8 }, (_, i) => f(transforms[8 * b + i]));
    for (let oy = 0; oy < H; oy++) {
      for (let ox = 0; ox < W; ox++) {
        const n = (b * H + oy) * W + ox;
        const k = f(f(f(t[6] * ox) + f(t[7] * oy)) + 1);
        if (k === 0) {
          fill[n] = o.fillValue;
          any = true;
          continue;
        }
        const inX = f(f(f(f(t[0] * ox) + f(t[1] * oy)) + t[2]) / k);
        const inY = f(f(f(f(t[3] * ox) + f(t[4] * oy)) + t[5]) / k);
        const xs = mapCoordinate(inX, W, o.fillMode);
        const ys = mapCoordinate(inY, H, o.fillMode);
        // Each corner reads the pixel, or the fill value outside the image.
        const put = (c: number, py: number, px: number, w: number): void => {
          if (py >= 0 && py < H && px >= 0 && px < W) {
            idx[c][n] = (b * H + py) * W + px;
            wts[c][n] = w;
          } else if (w !== 0) {
            fill[n] += w * o.fillValue;
            any = true;
          }
        };
        if (corners === 1) {
          put(0, roundHalfAway(ys), roundHalfAway(xs), 1);
          continue;
        }
        const y0 = Math.floor(ys);
        const x0 = Math.floor(xs);
        const [wy1, wx1] = [f(ys - y0), f(xs - x0)];
        const [wy0, wx0] = [f(y0 + 1 - ys), f(x0 + 1 - xs)];
        put(0, y0, x0, f(wy0 * wx0));
        put(1, y0, x0 + 1, f(wy0 * wx1));
        put(2, y0 + 1, x0, f(wy1 * wx0));
        put(3, y0 + 1, x0 + 1, f(wy1 * wx1));
      }
    }
  }
  return tidy(() => {
    const rows = reshape(x, [N, C]);
    const opts = { backend: x.backend };
    let out: Tensor | null = null;
    for (let c = 0; c < corners; c++) {
      const term = gather(rows, tensor(idx[c], [N], 'int32', opts)).mul(tensor(wts[c], [N, 1], 'float32', opts));
      out = out ? out.add(term) : term;
    }
    if (any) out = (out as Tensor).add(tensor(fill, [N, 1], 'float32', opts));
    return reshape(out as Tensor, [B, H, W, C]);
  });
}

/** C's std::round: halves away from zero. */
function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}
