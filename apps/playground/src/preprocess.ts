/**
 * A drawing made to look like an MNIST digit, as LeCun et al. prepared the
 * originals: the ink's bounding box is scaled (keeping its aspect ratio,
 * averaging over area so the strokes stay anti-aliased) to fit a 20×20 box,
 * then placed in a 28×28 field so that its centre of mass lies on pixel
 * (14, 14). (The real digits' centres of mass all fall within half a pixel
 * of pixel 14's centre, which the tests check against the data.)
 */

export const SIDE = 28;
export const BOX = 20;
/** The pixel the centre of mass is moved to. */
export const CENTRE = 14;

/** Ink values at or below this count as paper when finding the bounding box. */
const PAPER = 0.02;

export interface Bounds {
  x0: number;
  y0: number;
  /** Exclusive. */
  x1: number;
  y1: number;
}

/** The smallest rectangle holding every inked pixel, or null for a blank page. */
export function inkBounds(ink: Float32Array, width: number, height: number): Bounds | null {
  let x0 = width;
  let y0 = height;
  let x1 = 0;
  let y1 = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] <= PAPER) continue;
      if (x < x0) x0 = x;
      if (x >= x1) x1 = x + 1;
      if (y < y0) y0 = y;
      if (y >= y1) y1 = y + 1;
    }
  }
  return x1 > x0 ? { x0, y0, x1, y1 } : null;
}

/**
 * Resamples the rectangle `b` of `ink` by `scale` (< 1 shrinks) into an
 * image of `w`×`h`: each output pixel is the mean of the source area it
 * covers, fractional pixels weighted by their overlap.
 */
export function resampleArea(
  ink: Float32Array,
  width: number,
  b: Bounds,
  scale: number,
  w: number,
  h: number,
): Float32Array {
  const out = new Float32Array(w * h);
  const step = 1 / scale; // source pixels per output pixel
  for (let ty = 0; ty < h; ty++) {
    const sy0 = b.y0 + ty * step;
    const sy1 = Math.min(sy0 + step, b.y1);
    for (let tx = 0; tx < w; tx++) {
      const sx0 = b.x0 + tx * step;
      const sx1 = Math.min(sx0 + step, b.x1);
      let sum = 0;
      for (let y = Math.floor(sy0); y < sy1; y++) {
        const wy = Math.min(y + 1, sy1) - Math.max(y, sy0);
        if (wy <= 0) continue;
        for (let x = Math.floor(sx0); x < sx1; x++) {
          const wx = Math.min(x + 1, sx1) - Math.max(x, sx0);
          if (wx > 0) sum += wx * wy * ink[y * width + x];
        }
      }
      out[ty * w + tx] = sum * scale * scale;
    }
  }
  return out;
}

/** The centre of mass in pixel indices (pixel i's centre is at i). */
export function centreOfMass(img: Float32Array, w: number, h: number): { x: number; y: number } {
  let m = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = img[y * w + x];
      m += v;
      mx += v * x;
      my += v * y;
    }
  }
  return m > 0 ? { x: mx / m, y: my / m } : { x: (w - 1) / 2, y: (h - 1) / 2 };
}

/**
 * `ink` (width×height, 0 = paper, 1 = full ink) as 784 MNIST-like pixels in
 * [0, 1], row-major; null when nothing is drawn.
 */
export function toMnist(ink: Float32Array, width: number, height: number): Float32Array | null {
  const b = inkBounds(ink, width, height);
  if (!b) return null;
  const bw = b.x1 - b.x0;
  const bh = b.y1 - b.y0;
  const scale = BOX / Math.max(bw, bh);
  const w = Math.max(1, Math.round(bw * scale));
  const h = Math.max(1, Math.round(bh * scale));
  const small = resampleArea(ink, width, b, scale, w, h);
  const c = centreOfMass(small, w, h);
  const ox = Math.round(CENTRE - c.x);
  const oy = Math.round(CENTRE - c.y);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < h; y++) {
    const ty = y + oy;
    if (ty < 0 || ty >= SIDE) continue;
    for (let x = 0; x < w; x++) {
      const tx = x + ox;
      if (tx >= 0 && tx < SIDE) out[ty * SIDE + tx] = Math.min(1, small[y * w + x]);
    }
  }
  return out;
}
