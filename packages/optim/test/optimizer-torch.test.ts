import { memory } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { NAdam, RAdam, type NAdamOptions, type RAdamOptions } from '../src/index';
import { useCpu } from './helpers';
import { compareTrajectory, loadOptimizerFixtures, makeCaseOptimizer, runTrajectory } from './optimizer-fixtures';
import { caseOptions, nadamReference, radamReference } from './torch2-reference';

useCpu();

/**
 * Every optimizer against PyTorch 1.13's trajectories (fixtures/make_optimizer_fixtures.py):
 * 25 steps over a vector and a matrix that misses one step, with weight decay,
 * maximize and parameter groups. tsdl runs in float32, PyTorch in float64.
 * NAdam follows PyTorch 2.x, which fixed a bug of 1.13's (torch2-reference.ts):
 * its cases are compared with the 2.x reference, and the reference, with 1.13's
 * bug put back, with 1.13's trajectories.
 */
const fx = loadOptimizerFixtures();
const RTOL = 2e-5;
const ATOL = 2e-6;

const names = Object.keys(fx.cases);

describe(`optimizers match PyTorch ${fx.torch}`, () => {
  it.each(names.filter((n) => fx.cases[n].optimizer !== 'NAdam'))('%s', async (name) => {
    const c = fx.cases[name];
    const before = memory().numTensors;
    const got = await runTrajectory(fx, (ps) => makeCaseOptimizer(c, ps));
    expect(compareTrajectory(got, c.trajectory, RTOL, ATOL)).toBeNull();
    expect(memory().numTensors).toBe(before);
  });

  it.each(names.filter((n) => fx.cases[n].optimizer === 'NAdam'))(
    '%s (PyTorch 2.x: 1.13 with its momentum-product bug fixed)',
    async (name) => {
      const c = fx.cases[name];
      const options = caseOptions(c);
      // The reference is PyTorch's algorithm: with 1.13's bug it gives 1.13's numbers.
      const as113 = nadamReference(
        fx,
        options.map((o) => ({ ...o, torch113MuBug: true })),
      );
      expect(compareTrajectory(as113, c.trajectory, 1e-12, 1e-14)).toBeNull();
      const fixed = nadamReference(fx, options);
      expect(compareTrajectory(fixed, c.trajectory, 1e-6, 0)).not.toBeNull(); // the fix matters here
      const got = await runTrajectory(fx, (ps) => makeCaseOptimizer(c, ps));
      expect(compareTrajectory(got, fixed, RTOL, ATOL)).toBeNull();
    },
  );

  it('the cases exercise what they name: parameters move, maximize and weight decay change the path', () => {
    const last = (name: string) => fx.cases[name].trajectory[fx.steps - 1][0];
    const init = fx.init[0] as number[];
    for (const name of Object.keys(fx.cases)) {
      const moved = Math.max(...last(name).map((v, k) => Math.abs(v - init[k])));
      expect(moved, name).toBeGreaterThan(1e-3);
    }
    // The same optimizer without maximize and weight decay ends elsewhere.
    expect(Math.abs(last('adamax_decay_maximize')[0] - last('adamax_default')[0])).toBeGreaterThan(1e-2);
    expect(Math.abs(last('adadelta_decay_maximize')[0] - last('adadelta_default')[0])).toBeGreaterThan(1e-2);
  });
});

/** The 2.x options PyTorch 1.13 lacks, against float64 references of the 2.x algorithm. */
describe('NAdam and RAdam: PyTorch 2.x options', () => {
  it('the RAdam reference reproduces PyTorch 1.13 where the options overlap (NAdam: above)', () => {
    const tight = (got: number[][][], name: string) =>
      expect(compareTrajectory(got, fx.cases[name].trajectory, 1e-12, 1e-14)).toBeNull();
    tight(radamReference(fx, {}), 'radam_default');
    tight(radamReference(fx, { lr: 0.05, betas: [0.8, 0.9], weightDecay: 0.1 }), 'radam_decay');
    tight(radamReference(fx, caseOptions(fx.cases.radam_groups)), 'radam_groups');
  });

  const nadamCases: NAdamOptions[] = [
    { lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true },
    { lr: 0.05, betas: [0.8, 0.9], maximize: true },
    { lr: 0.05, betas: [0.8, 0.9], weightDecay: 0.2, decoupledWeightDecay: true, maximize: true, momentumDecay: 0.1 },
    { lr: 0.05, weightDecay: 0.2, maximize: true },
  ];
  it.each(nadamCases)('NAdam %j', async (o) => {
    const want = nadamReference(fx, o);
    const got = await runTrajectory(fx, (ps) => new NAdam(ps, o));
    expect(compareTrajectory(got, want, RTOL, ATOL)).toBeNull();
  });

  const radamCases: RAdamOptions[] = [
    { lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true },
    { lr: 0.05, betas: [0.8, 0.9], maximize: true },
    { lr: 0.05, betas: [0.9, 0.99], weightDecay: 0.2, decoupledWeightDecay: true, maximize: true },
    { lr: 0.05, weightDecay: 0.2, maximize: true },
  ];
  it.each(radamCases)('RAdam %j', async (o) => {
    const want = radamReference(fx, o);
    const got = await runTrajectory(fx, (ps) => new RAdam(ps, o));
    expect(compareTrajectory(got, want, RTOL, ATOL)).toBeNull();
  });

  it('decoupled decay and maximize change the trajectory (the cases test something)', () => {
    const base = { lr: 0.05, weightDecay: 0.2 };
    for (const ref of [nadamReference, radamReference]) {
      const l2 = ref(fx, base)[fx.steps - 1][0][0];
      expect(Math.abs(ref(fx, { ...base, decoupledWeightDecay: true })[fx.steps - 1][0][0] - l2)).toBeGreaterThan(1e-3);
      expect(Math.abs(ref(fx, { ...base, maximize: true })[fx.steps - 1][0][0] - l2)).toBeGreaterThan(1e-2);
    }
  });

  it('RAdam takes un-adapted steps while rho_t <= 5 and rectified ones after (both branches run)', () => {
    // β2 = 0.999: ρ_t passes 5 at step 6.
    const early = radamReference({ ...fx, steps: 5 }, { lr: 0.05 });
    const sgdLike = radamReference({ ...fx, steps: 5 }, { lr: 0.05, eps: 1e6 });
    expect(compareTrajectory(early, sgdLike, 0, 0)).toBeNull();
    const later = radamReference(fx, { lr: 0.05 });
    const damped = radamReference(fx, { lr: 0.05, eps: 1e6 });
    expect(Math.abs(later[fx.steps - 1][0][0] - damped[fx.steps - 1][0][0])).toBeGreaterThan(1e-3);
  });
});
