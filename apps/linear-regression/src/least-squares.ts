/**
 * The ordinary least-squares solution in float64, the reference the trained
 * model is checked against: minimise ‖A·θ − y‖² with A = [X | 1] (a column of
 * ones for the bias), by solving the normal equations AᵀA·θ = Aᵀy with
 * Gaussian elimination and partial pivoting. For a handful of well-scaled
 * features AᵀA is well conditioned, so this is accurate to ~1e-12.
 */
export function leastSquares(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  n: number,
  d: number,
): { weights: number[]; bias: number } {
  const m = d + 1;
  const ata = Array.from({ length: m }, () => new Float64Array(m));
  const aty = new Float64Array(m);
  const row = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j];
    row[d] = 1;
    for (let j = 0; j < m; j++) {
      aty[j] += row[j] * y[i];
      for (let k = 0; k < m; k++) ata[j][k] += row[j] * row[k];
    }
  }
  const theta = solve(ata, aty);
  return { weights: Array.from(theta.subarray(0, d)), bias: theta[d] };
}

/** Solves M·v = b in place (M square, nonsingular) by elimination with partial pivoting. */
export function solve(M: Float64Array[], b: Float64Array): Float64Array {
  const m = b.length;
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (M[p][c] === 0) throw new Error(`leastSquares: the ${m}×${m} normal matrix is singular (column ${c})`);
    [M[c], M[p]] = [M[p], M[c]];
    [b[c], b[p]] = [b[p], b[c]];
    for (let r = c + 1; r < m; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k < m; k++) M[r][k] -= f * M[c][k];
      b[r] -= f * b[c];
    }
  }
  const v = new Float64Array(m);
  for (let r = m - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < m; k++) s -= M[r][k] * v[k];
    v[r] = s / M[r][r];
  }
  return v;
}
