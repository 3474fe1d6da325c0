import type { Tensor } from '@tsdl/tensor';

/** Tolerances for {@link allClose}: |actual − expected| <= atol + rtol·|expected|. */
export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/** Defaults suited to float32 results compared with float64 references. */
export const FLOAT32_TOLERANCE = { atol: 1e-5, rtol: 1e-4 } as const;

/**
 * Host numbers. Tensors are not accepted here: a GPU backend cannot read
 * synchronously, so tensors go through the async {@link expectTensorClose}
 * (or `await t.data()` first).
 */
export type Numbers = ArrayLike<number> | ArrayLike<boolean>;

function toArray(x: Numbers, what: string): number[] {
  if (typeof (x as { data?: unknown }).data === 'function' && typeof (x as { shape?: unknown }).shape === 'object') {
    throw new TypeError(`${what}: got a Tensor; use await expectTensorClose(t, …) or pass await t.data()`);
  }
  return Array.from(x as ArrayLike<number | boolean>, Number);
}

/**
 * Compares two lists of numbers elementwise. NaN equals NaN and infinities
 * must match exactly. Returns null when close, otherwise a message naming
 * the first bad element and the tolerances used.
 */
export function compareClose(actual: Numbers, expected: Numbers, tol: Tolerance = FLOAT32_TOLERANCE): string | null {
  const atol = tol.atol ?? FLOAT32_TOLERANCE.atol;
  const rtol = tol.rtol ?? FLOAT32_TOLERANCE.rtol;
  const a = toArray(actual, 'compareClose');
  const e = toArray(expected, 'compareClose');
  if (a.length !== e.length) return `length ${a.length} differs from expected length ${e.length}`;
  for (let i = 0; i < e.length; i++) {
    const x = a[i];
    const y = e[i];
    if (
      Number.isNaN(y) ? Number.isNaN(x) : !Number.isFinite(y) ? x === y : Math.abs(x - y) <= atol + rtol * Math.abs(y)
    )
      continue;
    const show = (v: number[]) => (v.length > 24 ? `${v.slice(0, 24).join(', ')}, …` : v.join(', '));
    return `element ${i}: got ${x}, expected ${y} (atol ${atol}, rtol ${rtol})\n  got:      [${show(a)}]\n  expected: [${show(e)}]`;
  }
  return null;
}

/** True when every element is within tolerance (see {@link compareClose}). */
export function allClose(actual: Numbers, expected: Numbers, tol?: Tolerance): boolean {
  return compareClose(actual, expected, tol) === null;
}

/** Throws an Error with a readable diff unless `actual` is close to `expected`. */
export function expectAllClose(actual: Numbers, expected: Numbers, tol?: Tolerance, what = 'values'): void {
  const msg = compareClose(actual, expected, tol);
  if (msg !== null) throw new Error(`${what} differ: ${msg}`);
}

/** A tensor's values as plain numbers, read asynchronously (works on every backend). */
export async function readNumbers(t: Tensor): Promise<number[]> {
  return Array.from(await t.data(), Number);
}

/** {@link expectAllClose} for a tensor: reads it with `await t.data()`, then compares. */
export async function expectTensorClose(
  actual: Tensor,
  expected: Numbers,
  tol?: Tolerance,
  what = 'values',
): Promise<void> {
  expectAllClose(await readNumbers(actual), expected, tol, what);
}
