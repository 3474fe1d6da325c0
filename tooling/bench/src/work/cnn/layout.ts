/**
 * Keras stores conv kernels as [kH, kW, in, out] and flattens NHWC maps;
 * jax-js convolves NCHW inputs with [out, in, kH, kW] kernels. These turn the
 * shared Keras-layout weights into jax-js' layout so both compute the same function.
 */

/** [kH, kW, in, out] → [out, in, kH, kW]. */
export function hwioToOihw(w: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = w[((y * kw + x) * cin + i) * cout + o];
  return out;
}

/**
 * Reorders the rows of a dense kernel [h·w·c, units] that follows an NHWC
 * flatten (row (y·w + x)·c + ch) to follow an NCHW flatten (row ch·h·w + y·w + x).
 */
export function nhwcRowsToNchw(k: Float32Array, h: number, w: number, c: number, units: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        const from = ((y * w + x) * c + ch) * units;
        const to = (ch * h * w + y * w + x) * units;
        out.set(k.subarray(from, from + units), to);
      }
  return out;
}
