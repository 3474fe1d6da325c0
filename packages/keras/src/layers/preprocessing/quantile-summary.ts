/**
 * Keras' quantile summary for Discretization.adapt, reproduced number for number: Keras
 * computes it with numpy in float32 (summaries are float32 arrays; percents and
 * interpolation in float64, stored back as float32), so each step here rounds where numpy's
 * float32 arrays do (Math.fround). A summary is a list of values with a weight each.
 */
export interface Summary {
  values: number[];
  weights: number[];
}

const f32 = Math.fround;

/** Every ⌊step⌋-th sorted value from ⌊n·epsilon⌋ on, each weighing max(n·epsilon, 1) (Keras' summarize). */
export function summarize(data: Float32Array, epsilon: number): Summary {
  const sorted = Float32Array.from(data).sort();
  const n = sorted.length;
  const increment = n / (1 / epsilon);
  const step = Math.max(increment, 1);
  const values: number[] = [];
  for (let i = Math.floor(increment); i < n; i += Math.floor(step)) values.push(sorted[i]);
  return { values, weights: values.map(() => f32(step)) };
}

/** numpy.interp(x, xp, fp) for increasing xp: clamped at the ends, linear between. */
function interp(x: number, xp: readonly number[], fp: readonly number[]): number {
  const last = xp.length - 1;
  if (x < xp[0]) return fp[0];
  if (x > xp[last]) return fp[last];
  if (x === xp[last]) return fp[last];
  // The largest j with xp[j] <= x.
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xp[mid] <= x) lo = mid;
    else hi = mid;
  }
  if (x === xp[lo]) return fp[lo];
  const slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo]);
  return slope * (x - xp[lo]) + fp[lo];
}

/**
 * Compresses a summary to about 1/epsilon entries at the cumulative-weight quantiles
 * epsilon, 2·epsilon, … 1 (Keras' compress_summary); a summary already smaller is kept.
 */
export function compressSummary(s: Summary, epsilon: number): Summary {
  if (s.values.length * epsilon < 1) return s;
  const count = Math.ceil(1 / epsilon);
  const percents = Array.from({ length: count }, (_, i) => epsilon + i * epsilon);
  const cum: number[] = [];
  let acc = 0;
  for (const w of s.weights) cum.push((acc = f32(acc + w)));
  const total = cum[cum.length - 1];
  const cumPercents = cum.map((c) => f32(c / total));
  const values = percents.map((p) => f32(interp(p, cumPercents, s.values)));
  const cumAt = percents.map((p) => interp(p, cumPercents, cum));
  const weights = cumAt.map((c, i) => f32(c - (i === 0 ? 0 : cumAt[i - 1])));
  return { values, weights };
}

/** Two summaries as one, sorted by value, compressed (Keras' merge_summaries). */
export function mergeSummaries(a: Summary, b: Summary, epsilon: number): Summary {
  const entries = [...a.values.map((v, i) => [v, a.weights[i]]), ...b.values.map((v, i) => [v, b.weights[i]])];
  entries.sort((p, q) => p[0] - q[0]);
  return compressSummary({ values: entries.map((e) => e[0]), weights: entries.map((e) => e[1]) }, epsilon);
}

/** The numBins − 1 inner boundaries of a summary (Keras' get_bin_boundaries). */
export function binBoundaries(s: Summary, numBins: number): number[] {
  return compressSummary(s, 1 / numBins).values.slice(0, -1);
}
