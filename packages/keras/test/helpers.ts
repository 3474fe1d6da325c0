import '@tsdl/autograd';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpu } from '@tsdl/backend-cpu';
import { expectAllClose, seededNumbers } from '@tsdl/test-utils';
import { Tensor, setBackend, tensor } from '@tsdl/tensor';
import { afterAll, beforeAll, vi } from 'vitest';

/** Installs the CPU backend for the test file. */
export function useCpu(): void {
  beforeAll(() => {
    setBackend(cpu());
  });
}

/** Asserts that a tensor (or list) holds `expected`, float32 against float64 hand-computed values (tensors read synchronously: these tests run on the CPU). */
export function expectValues(
  actual: Tensor | ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = { atol: 1e-5, rtol: 1e-4 },
  what = 'values',
): void {
  expectAllClose(actual instanceof Tensor ? actual.dataSync() : actual, expected, tol, what);
}

/** A float32 tensor of `shape` filled with seeded numbers in [lo, hi) (independent of the library's generator). */
export function seeded(shape: number[], seed = 1, lo = -1, hi = 1): Tensor {
  return tensor(
    seededNumbers(
      shape.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
    shape,
  );
}

/** A float32 tensor holding 0, 1, 2, … in `shape`. */
export function arange(shape: number[], scale = 1, offset = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    Array.from({ length: n }, (_, i) => offset + i * scale),
    shape,
  );
}

/**
 * Two Gaussian blobs in 2-D, centred at (−1.5, −1.5) (class 0) and (1.5, 1.5)
 * (class 1) with unit variance per axis, interleaved so any slice holds both:
 * a problem a small network separates to ~98% (Bayes accuracy 98.3%).
 */
export function blobs(n: number, seed = 1): { x: Tensor; y: Tensor; labels: number[] } {
  const u = seededNumbers(2 * n, seed, 1e-9, 1);
  const v = seededNumbers(2 * n, seed + 1000, 0, 1);
  const xs: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const centre = c === 0 ? -1.5 : 1.5;
    for (let d = 0; d < 2; d++) {
      // Box–Muller on the seeded uniforms.
      const g = Math.sqrt(-2 * Math.log(u[2 * i + d])) * Math.cos(2 * Math.PI * v[2 * i + d]);
      xs.push(centre + g);
    }
    labels.push(c);
  }
  return { x: tensor(xs, [n, 2]), y: tensor(labels, [n], 'int32'), labels };
}

/** A fresh temporary directory, removed after the file's tests. */
export function useTempDir(): () => string {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsdl-keras-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/** Runs `fn` with console.log/warn captured; returns what was printed, one entry per call. */
export async function captureConsole<T>(
  fn: () => Promise<T> | T,
): Promise<{ result: T; log: string[]; warn: string[] }> {
  const log: string[] = [];
  const warn: string[] = [];
  const l = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void log.push(a.join(' ')));
  const w = vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void warn.push(a.join(' ')));
  try {
    return { result: await fn(), log, warn };
  } finally {
    l.mockRestore();
    w.mockRestore();
  }
}

/** The thrown error of `fn` (sync or async), or fails. */
export async function thrown(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, but none was thrown');
}

export const flat = (t: Tensor): number[] => Array.from(t.dataSync() as ArrayLike<number>, Number);
