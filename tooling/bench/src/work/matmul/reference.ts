import { mulberry32 } from '@tsdl/data-mnist';

/** Entries (i, j) of an n×n product, chosen from a seed, with their float64 values: a check that costs O(samples·n). */
export interface MatmulProbe {
  rows: Int32Array;
  cols: Int32Array;
  values: Float64Array;
}

export function matmulProbe(a: Float32Array, b: Float32Array, n: number, samples = 64, seed = 7): MatmulProbe {
  const rand = mulberry32(seed);
  const rows = new Int32Array(samples);
  const cols = new Int32Array(samples);
  const values = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    const i = Math.floor(rand() * n);
    const j = Math.floor(rand() * n);
    let acc = 0;
    for (let k = 0; k < n; k++) acc += a[i * n + k] * b[k * n + j];
    rows[s] = i;
    cols[s] = j;
    values[s] = acc;
  }
  return { rows, cols, values };
}

/** The probed entries of a computed row-major n×n product. */
export function probeValues(c: ArrayLike<number>, n: number, probe: MatmulProbe): Float64Array {
  return Float64Array.from(probe.rows, (i, s) => c[i * n + probe.cols[s]]);
}
