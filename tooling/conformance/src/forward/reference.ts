/**
 * Float64 references in plain JavaScript, written independently of the
 * library (no @tsdl/tensor imports), so a bug there cannot hide in an
 * expected value. Arrays are row-major lists of numbers with a shape.
 */

export type Dt = 'float32' | 'int32' | 'bool';

export interface Ref {
  shape: number[];
  data: number[];
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = k;
    k *= shape[i];
  }
  return s;
}

/** The multi-index of flat position `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let p = 0;
  for (let d = 0; d < shape.length; d++) p = p * shape[d] + idx[d];
  return p;
}

/** How a stored value reads back in `dt`: float32 rounding, int32 ToInt32 (truncation), bool != 0. */
export function toDtype(v: number, dt: Dt): number {
  if (dt === 'float32') return Math.fround(v);
  if (dt === 'int32') return v | 0;
  return v !== 0 ? 1 : 0;
}

// ---- broadcasting ---------------------------------------------------------------

/** NumPy broadcasting of several shapes, or null when they do not broadcast. */
export function broadcastShape(...shapes: (readonly number[])[]): number[] | null {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      if (out[o] === 1) out[o] = s[i];
      else if (s[i] !== 1 && s[i] !== out[o]) return null;
    }
  }
  return out;
}

/** The flat index into an input of shape `inShape` that output multi-index `outIdx` reads when broadcast. */
export function broadcastIndex(outIdx: readonly number[], inShape: readonly number[]): number {
  const lead = outIdx.length - inShape.length;
  let p = 0;
  for (let d = 0; d < inShape.length; d++) p = p * inShape[d] + (inShape[d] === 1 ? 0 : outIdx[lead + d]);
  return p;
}

/** Applies `f` elementwise over broadcast inputs. */
export function mapBroadcast(inputs: readonly Ref[], f: (...xs: number[]) => number): Ref {
  const shape = broadcastShape(...inputs.map((r) => r.shape));
  if (shape === null)
    throw new Error(`reference: shapes ${inputs.map((r) => JSON.stringify(r.shape)).join(' ')} do not broadcast`);
  const n = sizeOf(shape);
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    data[i] = f(...inputs.map((r) => r.data[broadcastIndex(idx, r.shape)]));
  }
  return { shape, data };
}

export function broadcastTo(x: Ref, shape: readonly number[]): Ref {
  const data = new Array<number>(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = x.data[broadcastIndex(unravel(i, shape), x.shape)];
  return { shape: shape.slice(), data };
}

// ---- strided indexing ---------------------------------------------------------------

/** out[i0..] = x[idx(i0..)], for any map from output multi-indices to input multi-indices. */
export function gatherBy(x: Ref, outShape: readonly number[], at: (outIdx: number[]) => number[]): Ref {
  const data = new Array<number>(sizeOf(outShape));
  for (let i = 0; i < data.length; i++) data[i] = x.data[ravel(at(unravel(i, outShape)), x.shape)];
  return { shape: outShape.slice(), data };
}

export function transpose(x: Ref, perm: readonly number[]): Ref {
  const shape = perm.map((p) => x.shape[p]);
  return gatherBy(x, shape, (o) => {
    const idx = new Array<number>(x.shape.length);
    perm.forEach((p, k) => (idx[p] = o[k]));
    return idx;
  });
}

/** Python's x[b:e:s] on one axis: the selected indices (positive steps). */
export function pyRange(d: number, begin: number | null, end: number | null, step: number): number[] {
  const clamp = (v: number | null, dflt: number) => (v === null ? dflt : Math.min(Math.max(v < 0 ? v + d : v, 0), d));
  const b = clamp(begin, 0);
  const e = clamp(end, d);
  const out: number[] = [];
  for (let i = b; i < e; i += step) out.push(i);
  return out;
}

export function slice(
  x: Ref,
  begin: readonly (number | null)[],
  end: readonly (number | null)[] = [],
  step: readonly number[] = [],
): Ref {
  const picks = x.shape.map((d, i) => pyRange(d, begin[i] ?? null, end[i] ?? null, step[i] ?? 1));
  return gatherBy(
    x,
    picks.map((p) => p.length),
    (o) => o.map((v, i) => picks[i][v]),
  );
}

// ---- reductions ---------------------------------------------------------------

/** Reduces `axes` (already non-negative, any order) with `f` over the list of values of each kept position. */
export function reduce(x: Ref, axes: readonly number[], keepDims: boolean, f: (vals: number[]) => number): Ref {
  const red = new Set(axes);
  const keptAxes = x.shape.map((_, i) => i).filter((i) => !red.has(i));
  const outShape = keepDims ? x.shape.map((d, i) => (red.has(i) ? 1 : d)) : keptAxes.map((i) => x.shape[i]);
  const keptShape = keptAxes.map((i) => x.shape[i]);
  const redShape = axes
    .slice()
    .sort((a, b) => a - b)
    .map((i) => x.shape[i]);
  const redAxes = axes.slice().sort((a, b) => a - b);
  const nOut = sizeOf(keptShape);
  const nRed = sizeOf(redShape);
  const data = new Array<number>(nOut);
  for (let o = 0; o < nOut; o++) {
    const ko = unravel(o, keptShape);
    const vals: number[] = [];
    for (let r = 0; r < nRed; r++) {
      const ri = unravel(r, redShape);
      const idx = new Array<number>(x.shape.length);
      keptAxes.forEach((a, k) => (idx[a] = ko[k]));
      redAxes.forEach((a, k) => (idx[a] = ri[k]));
      vals.push(x.data[ravel(idx, x.shape)]);
    }
    data[o] = f(vals);
  }
  return { shape: outShape, data };
}

export const R = {
  sum: (v: number[]) => v.reduce((a, b) => a + b, 0),
  prod: (v: number[]) => v.reduce((a, b) => a * b, 1),
  max: (v: number[]) => (v.some(Number.isNaN) ? NaN : v.reduce((a, b) => (b > a ? b : a), -Infinity)),
  min: (v: number[]) => (v.some(Number.isNaN) ? NaN : v.reduce((a, b) => (b < a ? b : a), Infinity)),
  mean: (v: number[]) => R.sum(v) / v.length,
  /** Population variance (correction 0) or with the given correction. */
  variance: (v: number[], correction = 0) => {
    const m = R.mean(v);
    return v.reduce((a, b) => a + (b - m) * (b - m), 0) / (v.length - correction);
  },
  argmax: (v: number[]) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0),
  argmin: (v: number[]) => v.reduce((best, x, i) => (x < v[best] ? i : best), 0),
  all: (v: number[]) => (v.every((x) => x !== 0) ? 1 : 0),
  any: (v: number[]) => (v.some((x) => x !== 0) ? 1 : 0),
  logSumExp: (v: number[]) => {
    const m = Math.max(...v);
    if (!Number.isFinite(m)) return v.length === 0 ? -Infinity : m;
    return m + Math.log(v.reduce((a, b) => a + Math.exp(b - m), 0));
  },
};

// ---- scalar functions ---------------------------------------------------------------

/** erf to ~1e-14: Maclaurin series below 2.5, Laplace's continued fraction for erfc above. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = x;
    let s = x;
    for (let n = 1; n < 80; n++) {
      term *= (-x * x) / n;
      s += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * s;
  }
  let t = a;
  for (let n = 60; n >= 1; n--) t = a + n / 2 / t;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / t;
  return Math.sign(x) * (1 - erfc);
}

/** Round half to even, from floor and the fractional part. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const softplus = (x: number): number => (x > 30 ? x : Math.log1p(Math.exp(x)));
export const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
export const geluTanh = (x: number): number =>
  0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

// ---- linear algebra ---------------------------------------------------------------

/** NumPy matmul: 1-D operands promoted and their axis dropped, batch dims broadcast. */
export function matmul(a: Ref, b: Ref): Ref {
  const a2 = a.shape.length === 1 ? { shape: [1, a.shape[0]], data: a.data } : a;
  const b2 = b.shape.length === 1 ? { shape: [b.shape[0], 1], data: b.data } : b;
  const [M, K] = a2.shape.slice(-2);
  const N = b2.shape[b2.shape.length - 1];
  const batch = broadcastShape(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  if (batch === null) throw new Error('reference matmul: batch dims do not broadcast');
  const nb = sizeOf(batch);
  const data: number[] = [];
  for (let t = 0; t < nb; t++) {
    const bi = unravel(t, batch);
    const ao = broadcastIndex(bi, a2.shape.slice(0, -2)) * M * K;
    const bo = broadcastIndex(bi, b2.shape.slice(0, -2)) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a2.data[ao + i * K + k] * b2.data[bo + k * N + j];
        data.push(s);
      }
    }
  }
  const shape = [...batch];
  if (a.shape.length > 1) shape.push(M);
  if (b.shape.length > 1) shape.push(N);
  return { shape, data };
}

// ---- convolution and pooling (NHWC, HWIO) ---------------------------------------------

export interface Geometry {
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
}

/** Output size and leading pad of one axis: TensorFlow's 'same' (out = ceil(in / stride)), 'valid', or explicit cells. */
export function axisGeometry(
  size: number,
  k: number,
  stride: number,
  dilation: number,
  pad: 'same' | 'valid' | [number, number],
): [number, number] {
  const eff = (k - 1) * dilation + 1;
  if (pad === 'same') {
    const out = Math.ceil(size / stride);
    return [out, Math.floor(Math.max((out - 1) * stride + eff - size, 0) / 2)];
  }
  const [b, e] = pad === 'valid' ? [0, 0] : pad;
  return [Math.floor((size + b + e - eff) / stride) + 1, b];
}

export interface ConvGeom {
  N: number;
  H: number;
  W: number;
  C: number;
  kH: number;
  kW: number;
  O: number;
  sH: number;
  sW: number;
  dH: number;
  dW: number;
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
}

/** Visits every (output cell, filter tap) pair whose input cell lies inside the image. */
function forEachTap(
  g: ConvGeom,
  visit: (n: number, oy: number, ox: number, ky: number, kx: number, iy: number, ix: number) => void,
): void {
  for (let n = 0; n < g.N; n++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let ky = 0; ky < g.kH; ky++)
          for (let kx = 0; kx < g.kW; kx++) {
            const iy = oy * g.sH - g.padTop + ky * g.dH;
            const ix = ox * g.sW - g.padLeft + kx * g.dW;
            if (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W) visit(n, oy, ox, ky, kx, iy, ix);
          }
}

/** y[n,oy,ox,o] = Σ x[n,iy,ix,c]·w[ky,kx,c,o]. */
export function conv2d(x: number[], w: number[], g: ConvGeom): number[] {
  const y = new Array<number>(g.N * g.outH * g.outW * g.O).fill(0);
  forEachTap(g, (n, oy, ox, ky, kx, iy, ix) => {
    for (let c = 0; c < g.C; c++)
      for (let o = 0; o < g.O; o++)
        y[((n * g.outH + oy) * g.outW + ox) * g.O + o] +=
          x[((n * g.H + iy) * g.W + ix) * g.C + c] * w[((ky * g.kW + kx) * g.C + c) * g.O + o];
  });
  return y;
}

/** dx[n,iy,ix,c] = Σ dy[n,oy,ox,o]·w[ky,kx,c,o] over the taps that read (iy, ix). */
export function conv2dGradInput(dy: number[], w: number[], g: ConvGeom): number[] {
  const dx = new Array<number>(g.N * g.H * g.W * g.C).fill(0);
  forEachTap(g, (n, oy, ox, ky, kx, iy, ix) => {
    for (let c = 0; c < g.C; c++)
      for (let o = 0; o < g.O; o++)
        dx[((n * g.H + iy) * g.W + ix) * g.C + c] +=
          dy[((n * g.outH + oy) * g.outW + ox) * g.O + o] * w[((ky * g.kW + kx) * g.C + c) * g.O + o];
  });
  return dx;
}

/** dw[ky,kx,c,o] = Σ x[n,iy,ix,c]·dy[n,oy,ox,o]. */
export function conv2dGradFilter(x: number[], dy: number[], g: ConvGeom): number[] {
  const dw = new Array<number>(g.kH * g.kW * g.C * g.O).fill(0);
  forEachTap(g, (n, oy, ox, ky, kx, iy, ix) => {
    for (let c = 0; c < g.C; c++)
      for (let o = 0; o < g.O; o++)
        dw[((ky * g.kW + kx) * g.C + c) * g.O + o] +=
          x[((n * g.H + iy) * g.W + ix) * g.C + c] * dy[((n * g.outH + oy) * g.outW + ox) * g.O + o];
  });
  return dw;
}

export interface PoolGeom {
  N: number;
  H: number;
  W: number;
  C: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
}

/** The in-image cells of each pooling window, as flat NHWC indices (channel 0). */
function windowCells(g: PoolGeom, n: number, oy: number, ox: number): number[] {
  const cells: number[] = [];
  for (let ky = 0; ky < g.kH; ky++)
    for (let kx = 0; kx < g.kW; kx++) {
      const iy = oy * g.sH - g.padTop + ky;
      const ix = ox * g.sW - g.padLeft + kx;
      if (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W) cells.push(((n * g.H + iy) * g.W + ix) * g.C);
    }
  return cells;
}

/** Max or average pooling; padded cells neither win a max nor count in the average. */
export function pool2d(kind: 'max' | 'avg', x: number[], g: PoolGeom): number[] {
  const y: number[] = [];
  for (let n = 0; n < g.N; n++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++) {
        const cells = windowCells(g, n, oy, ox);
        for (let c = 0; c < g.C; c++) {
          const vals = cells.map((p) => x[p + c]);
          y.push(kind === 'max' ? R.max(vals) : R.mean(vals));
        }
      }
  return y;
}

/** Pooling's input gradient: max sends dy to the first maximum of its window, avg spreads dy / count. */
export function pool2dGrad(kind: 'max' | 'avg', x: number[], dy: number[], g: PoolGeom): number[] {
  const dx = new Array<number>(g.N * g.H * g.W * g.C).fill(0);
  let q = 0;
  for (let n = 0; n < g.N; n++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++) {
        const cells = windowCells(g, n, oy, ox);
        for (let c = 0; c < g.C; c++, q++) {
          if (kind === 'avg') {
            for (const p of cells) dx[p + c] += dy[q] / cells.length;
          } else {
            const vals = cells.map((p) => x[p + c]);
            dx[cells[R.argmax(vals)] + c] += dy[q];
          }
        }
      }
  return dx;
}

// ---- softmax ---------------------------------------------------------------

/** Softmax or log-softmax along `axis` (non-negative), in float64 with the max subtracted. */
export function softmax(x: Ref, axis: number, log: boolean): Ref {
  const outer = sizeOf(x.shape.slice(0, axis));
  const d = x.shape[axis];
  const inner = sizeOf(x.shape.slice(axis + 1));
  const data = x.data.slice();
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * d + j) * inner + i;
      let m = -Infinity;
      for (let j = 0; j < d; j++) m = Math.max(m, x.data[at(j)]);
      let s = 0;
      for (let j = 0; j < d; j++) s += Math.exp(x.data[at(j)] - m);
      for (let j = 0; j < d; j++) data[at(j)] = log ? x.data[at(j)] - m - Math.log(s) : Math.exp(x.data[at(j)] - m) / s;
    }
  return { shape: x.shape.slice(), data };
}
