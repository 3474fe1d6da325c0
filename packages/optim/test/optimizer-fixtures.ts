import { readFileSync } from 'node:fs';
import { type Tensor, tensor } from '@tsdl/tensor';
import * as optim from '../src/index';
import type { Optimizer } from '../src/index';

/**
 * PyTorch's optimizer trajectories written by fixtures/make_optimizer_fixtures.py,
 * and the runner that replays one here: the same initial values, gradients,
 * parameter groups and options, reading the parameters after every step.
 * Shared with @tsdl/backend-webgpu's test, so it reads values asynchronously.
 */

type Values = number[] | number[][];

export interface OptimizerCase {
  optimizer: string;
  /** The optimizer's options (tsdl's camelCase names). */
  options: Record<string, unknown>;
  groups: { params: number[]; options: Record<string, unknown> }[];
  /** trajectory[t][i]: parameter i, flattened, after step t + 1. */
  trajectory: number[][][];
}

export interface OptimizerFixtures {
  torch: string;
  steps: number;
  /** The 1-based step on which parameter 1 has no gradient. */
  skipStep: number;
  init: Values[];
  /** grads[t][i]: parameter i's gradient at step t + 1. */
  grads: Values[][];
  cases: Record<string, OptimizerCase>;
}

export function loadOptimizerFixtures(): OptimizerFixtures {
  return JSON.parse(readFileSync(new URL('./fixtures/optimizers.json', import.meta.url), 'utf8')) as OptimizerFixtures;
}

type Ctor = new (params: unknown, options?: Record<string, unknown>) => Optimizer<any>;

/** The case's optimizer over `params`, with its groups and options. */
export function makeCaseOptimizer(c: OptimizerCase, params: Tensor[]): Optimizer<any> {
  const Make = (optim as unknown as Record<string, Ctor>)[c.optimizer];
  if (typeof Make !== 'function') throw new Error(`${c.optimizer} is not exported by @tsdl/optim`);
  return new Make(
    c.groups.map((g) => ({ params: g.params.map((i) => params[i]), ...g.options })),
    c.options,
  );
}

/**
 * Runs `make`'s optimizer over fresh parameters from the fixtures' initial
 * values and gradients (none for parameter 1 at skipStep) and returns the
 * trajectory in the fixtures' layout. Frees everything it made.
 */
export async function runTrajectory(
  fx: OptimizerFixtures,
  make: (params: Tensor[]) => Optimizer<any>,
  steps = fx.steps,
): Promise<number[][][]> {
  const params = fx.init.map((v) => {
    const p = tensor(v).keep();
    p.requiresGrad = true;
    return p;
  });
  const opt = make(params);
  const out: number[][][] = [];
  try {
    for (let t = 1; t <= steps; t++) {
      params.forEach((p, i) => {
        p.grad?.dispose();
        p.grad = i === 1 && t === fx.skipStep ? null : tensor(fx.grads[t - 1][i]).keep();
      });
      opt.step();
      const row: number[][] = [];
      for (const p of params) row.push(Array.from(await p.data()));
      out.push(row);
    }
  } finally {
    opt.dispose();
    for (const p of params) {
      p.grad?.dispose();
      p.grad = null;
      p.dispose();
    }
  }
  return out;
}

/**
 * null when every value is within atol + rtol·|want|, else a message naming
 * the first step, parameter and element that is not.
 */
export function compareTrajectory(got: number[][][], want: number[][][], rtol: number, atol: number): string | null {
  if (got.length !== want.length) return `${got.length} steps, expected ${want.length}`;
  for (let t = 0; t < want.length; t++) {
    for (let i = 0; i < want[t].length; i++) {
      for (let k = 0; k < want[t][i].length; k++) {
        const a = got[t][i][k];
        const e = want[t][i][k];
        if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e)))
          return `step ${t + 1}, parameter ${i}, element ${k}: got ${a}, expected ${e}`;
      }
    }
  }
  return null;
}
