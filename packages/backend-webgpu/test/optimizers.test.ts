import '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { NAdam, RAdam, type NAdamOptions } from '@tsdl/optim';
import { memory, setBackend } from '@tsdl/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The fixtures, their runner and the PyTorch 2.x references live with @tsdl/optim's own parity test.
import {
  compareTrajectory,
  loadOptimizerFixtures,
  makeCaseOptimizer,
  runTrajectory,
} from '../../optim/test/optimizer-fixtures';
import { caseOptions, nadamReference, radamReference } from '../../optim/test/torch2-reference';
import { acquireTestGpu, gpuAvailable } from './gpu';

/**
 * Every optimizer's fused update on WebGPU against PyTorch's 25-step
 * trajectories (weight decay, maximize, parameter groups, a skipped step),
 * the same cases and tolerance the CPU meets; NAdam and RAdam's 2.x options
 * against the float64 reference of PyTorch 2.x's algorithm.
 */

const gpu = await acquireTestGpu();
const fx = loadOptimizerFixtures();
const RTOL = 2e-5;
const ATOL = 2e-6;

describe.runIf(gpuAvailable(gpu, it))('webgpu: optimizers against PyTorch', () => {
  beforeAll(() => {
    setBackend(gpu.backend('webgpu-optimizers'));
  });
  afterAll(() => {
    setBackend(cpu());
  });

  it.each(Object.keys(fx.cases))('%s', async (name) => {
    const c = fx.cases[name];
    const before = memory().numTensors;
    const got = await runTrajectory(fx, (ps) => makeCaseOptimizer(c, ps));
    // NAdam follows 2.x, which fixed 1.13's momentum product (see torch2-reference.ts).
    const want = c.optimizer === 'NAdam' ? nadamReference(fx, caseOptions(c)) : c.trajectory;
    expect(compareTrajectory(got, want, RTOL, ATOL)).toBeNull();
    expect(memory().numTensors).toBe(before);
  });

  const decoupled: NAdamOptions = {
    lr: 0.05,
    betas: [0.8, 0.9],
    weightDecay: 0.2,
    decoupledWeightDecay: true,
    maximize: true,
  };
  it('NAdam with decoupled weight decay and maximize', async () => {
    const got = await runTrajectory(fx, (ps) => new NAdam(ps, { ...decoupled, momentumDecay: 0.1 }));
    expect(compareTrajectory(got, nadamReference(fx, { ...decoupled, momentumDecay: 0.1 }), RTOL, ATOL)).toBeNull();
  });

  it('RAdam with decoupled weight decay and maximize', async () => {
    const got = await runTrajectory(fx, (ps) => new RAdam(ps, decoupled));
    expect(compareTrajectory(got, radamReference(fx, decoupled), RTOL, ATOL)).toBeNull();
  });
});
