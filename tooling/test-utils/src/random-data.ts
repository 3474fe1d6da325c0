/**
 * Deterministic numbers in [lo, hi) from a small LCG, independent of the
 * library's own generator so a bug there cannot hide in test data.
 */
export function seededNumbers(n: number, seed = 1, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (s / 2 ** 32) * (hi - lo);
  }
  return out;
}

/** Seeded numbers kept at least `gap` away from every point in `avoid` (for kinks like relu at 0, abs at 0). */
export function seededAwayFrom(
  n: number,
  seed: number,
  avoid: readonly number[],
  gap = 0.05,
  lo = -1,
  hi = 1,
): number[] {
  return seededNumbers(n, seed, lo, hi).map((v) => {
    for (const p of avoid) if (Math.abs(v - p) < gap) return v < p ? p - gap - 0.01 : p + gap + 0.01;
    return v;
  });
}
