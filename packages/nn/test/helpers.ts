import '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { noGrad } from '@tsdl/autograd';
import { type Tensor, setBackend, tensor, tidy } from '@tsdl/tensor';
import { beforeAll, expect } from 'vitest';

/** Installs the CPU backend for the test file. */
export function useCpu(): void {
  beforeAll(() => {
    setBackend(cpu());
  });
}

/** Asserts elementwise |a − e| <= atol + rtol·|e| with a helpful message. */
export function expectClose(
  actual: ArrayLike<number> | Tensor,
  expected: ArrayLike<number>,
  atol = 1e-5,
  rtol = 1e-5,
): void {
  const a = 'dataSync' in actual ? Array.from(actual.dataSync()) : Array.from(actual);
  const e = Array.from(expected);
  expect(a.length, 'length').toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    const ok = Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]) || (Number.isNaN(a[i]) && Number.isNaN(e[i]));
    if (!ok) {
      throw new Error(
        `element ${i}: got ${a[i]}, expected ${e[i]} (atol ${atol}, rtol ${rtol})\n got ${a.join(', ')}\nwant ${e.join(', ')}`,
      );
    }
  }
}

/** Deterministic pseudo-random numbers in [-1, 1) (a small LCG), for test data. */
export function det(n: number, seed = 1): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push((s / 2 ** 32) * 2 - 1);
  }
  return out;
}

export function prod(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A float32 tensor of `shape` with deterministic values in [-scale, scale). */
export function detTensor(shape: number[], seed = 1, scale = 1): Tensor {
  return tensor(
    det(prod(shape), seed).map((v) => v * scale),
    shape,
  );
}

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-2: float32 forward passes). */
  eps?: number;
  atol?: number;
  rtol?: number;
}

/**
 * Checks the gradients autograd gives for `leaves` (tensors with requiresGrad)
 * against central finite differences of L = Σ f()·R, with a fixed random
 * projection R, accumulated in float64 on the host. Leaves are perturbed in
 * place with assign (so parameters of modules work too) and restored.
 */
export function gradCheck(f: () => Tensor, leaves: Tensor[], options: GradCheckOptions = {}): void {
  const eps = options.eps ?? 1e-2;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-2;
  for (const l of leaves) l.zeroGrad();
  const shape = tidy(() => f().shape.slice());
  const R = det(prod(shape), 7);
  tidy(() => {
    const out = f();
    out.mul(tensor(R, shape)).sum().backward();
  });
  const project = (): number =>
    tidy(() => {
      const v = noGrad(f).dataSync();
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[i] * R[i];
      return s;
    });
  leaves.forEach((leaf, li) => {
    expect(leaf.grad, `leaf ${li} has no gradient`).not.toBeNull();
    const analytic = Array.from((leaf.grad as Tensor).dataSync());
    const base = Float32Array.from(leaf.dataSync());
    const numeric: number[] = [];
    for (let i = 0; i < base.length; i++) {
      const x = new Float32Array(base);
      x[i] = base[i] + eps;
      const up = x[i];
      tidy(() => {
        leaf.assign(tensor(x, leaf.shape));
      });
      const fp = project();
      x[i] = base[i] - eps;
      const down = x[i];
      tidy(() => {
        leaf.assign(tensor(x, leaf.shape));
      });
      const fm = project();
      numeric.push((fp - fm) / (up - down));
    }
    tidy(() => {
      leaf.assign(tensor(base, leaf.shape));
    });
    for (let i = 0; i < numeric.length; i++) {
      if (Math.abs(analytic[i] - numeric[i]) > atol + rtol * Math.abs(numeric[i])) {
        throw new Error(
          `leaf ${li} (shape [${leaf.shape}]) element ${i}: autograd ${analytic[i]}, finite differences ${numeric[i]}\n` +
            ` autograd: ${analytic.map((v) => v.toFixed(5)).join(', ')}\n numeric:  ${numeric.map((v) => v.toFixed(5)).join(', ')}`,
        );
      }
    }
  });
  for (const l of leaves) l.zeroGrad();
}

/** A leaf input that requires grad. */
export function leaf(values: number[], shape: number[]): Tensor {
  const t = tensor(values, shape);
  t.requiresGrad = true;
  return t;
}
