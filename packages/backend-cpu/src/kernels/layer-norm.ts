import type { View } from '@tsdl/tensor/backend';
import { type Alloc, dense, jsAlloc } from '../data';

/**
 * Layer normalization over the rows of x [N, D] and its gradient, one row at a time: the
 * backend's kernels, replacing the ~20 backend calls per layer norm, forward and backward, of
 * the composed form (row means, elementwise ops). The wasm SIMD rows (LayerNormAccel) take
 * rows of a length divisible by 4 in the heap; these JavaScript loops take the rest, with the
 * row's mean and variance in float64, two passes (the mean, then the squared deviations: no
 * E[x²] − μ² cancellation).
 */

/**
 * The wasm SIMD rows (wasm/layer-norm-module.ts) where the backend has them; each returns
 * false, doing nothing, where it cannot (a row length not divisible by 4, an array outside
 * the wasm heap). dg and db receive Σ dy·x̂ and Σ dy over the rows.
 */
export interface LayerNormAccel {
  forward(
    x: Float32Array,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    y: Float32Array,
    rows: number,
    d: number,
    epsilon: number,
  ): boolean;
  backward(
    x: Float32Array,
    gamma: Float32Array | null,
    dy: Float32Array,
    dx: Float32Array,
    dg: Float32Array,
    db: Float32Array,
    rows: number,
    d: number,
    epsilon: number,
  ): boolean;
}

/** The row's mean and 1/√(σ² + ε) (biased variance), in float64. */
function rowStats(x: ArrayLike<number>, base: number, d: number, epsilon: number): [number, number] {
  let s = 0;
  for (let j = 0; j < d; j++) s += x[base + j];
  const mu = s / d;
  let v = 0;
  for (let j = 0; j < d; j++) {
    const t = x[base + j] - mu;
    v += t * t;
  }
  return [mu, 1 / Math.sqrt(v / d + epsilon)];
}

/** y = (x − μ)·r·γ + β per row; gamma and beta [D] or null. */
export function layerNorm(
  xv: View,
  gammaV: View | null,
  betaV: View | null,
  epsilon: number,
  alloc: Alloc = jsAlloc,
  accel?: LayerNormAccel,
): Float32Array {
  const [n, d] = xv.shape;
  const x = dense(xv);
  const gamma = gammaV && dense(gammaV);
  const beta = betaV && dense(betaV);
  const out = alloc('float32', n * d, false) as Float32Array;
  const f32 = (a: ArrayLike<number> | null) => a as Float32Array | null;
  if (accel?.forward(x as Float32Array, f32(gamma), f32(beta), out, n, d, epsilon)) return out;
  for (let r = 0, base = 0; r < n; r++, base += d) {
    const [mu, rstd] = rowStats(x, base, d, epsilon);
    if (gamma && beta) for (let j = 0; j < d; j++) out[base + j] = (x[base + j] - mu) * rstd * gamma[j] + beta[j];
    else if (gamma) for (let j = 0; j < d; j++) out[base + j] = (x[base + j] - mu) * rstd * gamma[j];
    else if (beta) for (let j = 0; j < d; j++) out[base + j] = (x[base + j] - mu) * rstd + beta[j];
    else for (let j = 0; j < d; j++) out[base + j] = (x[base + j] - mu) * rstd;
  }
  return out;
}

let scratch = new Float64Array(256);

/**
 * [dx, dγ, dβ]: per row x̂ = (x − μ)·r and g = dy·γ, dx = r·(g − mean(g) − x̂·mean(g·x̂));
 * dγ and dβ accumulate over the rows in float64 and are rounded once.
 */
export function layerNormGrad(
  xv: View,
  gammaV: View | null,
  dyv: View,
  epsilon: number,
  alloc: Alloc = jsAlloc,
  accel?: LayerNormAccel,
): Float32Array[] {
  const [n, d] = xv.shape;
  const x = dense(xv);
  const dy = dense(dyv);
  const gamma = gammaV && dense(gammaV);
  const dx = alloc('float32', n * d, false) as Float32Array;
  const dg = alloc('float32', d, false) as Float32Array;
  const db = alloc('float32', d, false) as Float32Array;
  const f32 = (a: ArrayLike<number> | null) => a as Float32Array | null;
  if (accel?.backward(x as Float32Array, f32(gamma), dy as Float32Array, dx, dg, db, n, d, epsilon)) {
    return [dx, dg, db];
  }
  // The shared scratch holds x̂ of the row, then the column sums of dy·x̂ and dy (kernels run to completion).
  if (scratch.length < 3 * d) scratch = new Float64Array(Math.max(3 * d, 2 * scratch.length));
  const xhat = scratch.subarray(0, d);
  const sg = scratch.subarray(d, 2 * d).fill(0);
  const sb = scratch.subarray(2 * d, 3 * d).fill(0);
  for (let r = 0, base = 0; r < n; r++, base += d) {
    const [mu, rstd] = rowStats(x, base, d, epsilon);
    let a = 0;
    let b = 0;
    for (let j = 0; j < d; j++) {
      const h = (x[base + j] - mu) * rstd;
      const t = dy[base + j];
      const g = gamma ? t * gamma[j] : t;
      xhat[j] = h;
      a += g;
      b += g * h;
      sg[j] += t * h;
      sb[j] += t;
    }
    a /= d;
    b /= d;
    for (let j = 0; j < d; j++) {
      const g = gamma ? dy[base + j] * gamma[j] : dy[base + j];
      dx[base + j] = rstd * (g - a - xhat[j] * b);
    }
  }
  for (let j = 0; j < d; j++) {
    dg[j] = sg[j];
    db[j] = sb[j];
  }
  return [dx, dg, db];
}
