import '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { type Tensor, setBackend, tensor } from '@tsdl/tensor';
import { beforeAll, expect } from 'vitest';

/** Installs the CPU backend for the test file. */
export function useCpu(): void {
  beforeAll(() => {
    setBackend(cpu());
  });
}

/** A leaf float32 parameter (kept, requiresGrad). */
export function param(values: number[] | number[][]): Tensor {
  const p = tensor(values).keep();
  p.requiresGrad = true;
  return p;
}

/** Replaces `p.grad` with the given values (as backward would leave it). */
export function setGrad(p: Tensor, values: number[] | number[][]): void {
  p.grad?.dispose();
  p.grad = tensor(values).keep();
}

export function values(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Asserts elementwise |a − e| <= atol + rtol·|e| with a helpful message. */
export function expectClose(
  actual: ArrayLike<number> | Tensor,
  expected: ArrayLike<number>,
  rtol = 1e-5,
  atol = 1e-7,
): void {
  const a = 'dataSync' in actual ? Array.from(actual.dataSync()) : Array.from(actual);
  const e = Array.from(expected);
  expect(a.length, 'length').toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    const ok = Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]) || (Number.isNaN(a[i]) && Number.isNaN(e[i]));
    if (!ok) {
      throw new Error(
        `element ${i}: got ${a[i]}, expected ${e[i]} (rtol ${rtol}, atol ${atol})\n got ${a.join(', ')}\nwant ${e.join(', ')}`,
      );
    }
  }
}

/** A fixed gradient sequence for a 3-element parameter: large first, then smaller, with sign changes. */
export const GRADS: number[][] = [
  [0.5, -1.2, 2.0],
  [0.3, 0.8, -1.5],
  [-0.7, 0.4, 0.1],
  [1.0, -0.2, 0.05],
  [0.2, 0.9, -0.02],
].map((g) => g.map(Math.fround)); // what the optimizer reads is float32

export const INIT = [1.0, -2.0, 0.5];

/**
 * Runs `opt` over one parameter initialised to INIT with the GRADS sequence
 * and returns the parameter's values after each step.
 */
export function trajectory(
  make: (params: Tensor[]) => { step(): void; dispose(): void },
  grads = GRADS,
  init = INIT,
): number[][] {
  const p = param(init);
  const opt = make([p]);
  const out: number[][] = [];
  for (const g of grads) {
    setGrad(p, g);
    opt.step();
    out.push(values(p));
  }
  opt.dispose();
  p.zeroGrad();
  p.dispose();
  return out;
}

/** Checks every step of a trajectory against a float64 reference. */
export function expectTrajectory(actual: number[][], expected: number[][], rtol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, t) => {
    try {
      expectClose(a, expected[t], rtol, 1e-6);
    } catch (e) {
      throw new Error(`step ${t + 1}: ${(e as Error).message}`);
    }
  });
}
