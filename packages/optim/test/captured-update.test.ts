import { backward } from '@tsdl/autograd';
import { type Tensor, dispose, matmul, mean, mul, sub, tensor, tidy } from '@tsdl/tensor';
import { CapturedStep } from '@tsdl/tensor/internal';
import { describe, expect, it } from 'vitest';
import { Adam, type Optimizer, SGD } from '../src/index';
import { param, useCpu } from './helpers';

useCpu();

/**
 * An optimizer's step inside a captured step (Keras' fit runs its update so):
 * a replay runs the update's kernels and assigns, and ReplayedUpdates advances
 * the step counts and recomputes the scalars, so every step gives the bits an
 * eager step gives, whatever changed between steps.
 */

const STEPS = 8;

interface Run {
  weights: number[][];
  state: number[][];
  counts: number[];
  replays: number;
  refusal: string | null;
}

/** STEPS steps of a least-squares fit, the optimizer made by `make`; `between(s, opt)` runs before step s. */
function run(
  captured: boolean,
  make: (ps: Tensor[]) => Optimizer<any>,
  between = (_s: number, _o: Optimizer<any>) => {},
): Run {
  const w = param([
    [0.5, -0.2],
    [0.3, 0.1],
    [0.8, -0.6],
  ]);
  const b = param([0.1, -0.1]);
  const opt = make([w, b]);
  const body = (x: Tensor): Tensor[] => {
    const d = sub(matmul(x, w).add(b), 1);
    const loss = mean(mul(d, d));
    backward(loss);
    opt.step();
    opt.zeroGrad();
    return [loss.detach()];
  };
  const step = new CapturedStep(([x]) => ({ tensors: body(x) }));
  const xs = Array.from({ length: STEPS }, (_, s) =>
    tensor(
      Array.from({ length: 6 }, (_, i) => Math.sin(s + i)),
      [2, 3],
    ),
  );
  let afterFirst: Record<string, Tensor> = {};
  for (let s = 0; s < STEPS; s++) {
    between(s, opt);
    dispose(tidy(() => (captured ? step.run([xs[s]]).tensors : body(xs[s]))));
    if (s === 0) afterFirst = { ...opt.getState(w)?.tensors };
  }
  const st = opt.getState(w);
  // The state tensors made by the first step are the ones held at the end (assign), alive.
  expect(Object.keys(afterFirst).length).toBeGreaterThan(0);
  for (const k of Object.keys(afterFirst)) expect(st?.tensors[k]).toBe(afterFirst[k]);
  const result: Run = {
    weights: [w, b].map((p) => Array.from(p.dataSync())),
    state: Object.values(st?.tensors ?? {}).map((t) => Array.from(t.dataSync())),
    counts: [opt.stepCount, st?.step ?? 0],
    replays: step.stats.replays,
    refusal: step.stats.refusal,
  };
  opt.dispose();
  dispose([w, b, ...xs]);
  return result;
}

describe('an optimizer step inside a captured step', () => {
  it('replays to the eager bits, step counts and state included', () => {
    const adam = (ps: Tensor[]) => new Adam(ps, { lr: 0.05 });
    const eager = run(false, adam);
    const captured = run(true, adam);
    expect(captured.weights).toEqual(eager.weights);
    expect(captured.state).toEqual(eager.state);
    expect(captured.counts).toEqual([STEPS, STEPS]);
    // The first step makes the moments: the second and third trace alike.
    expect(captured.replays).toBe(STEPS - 3);
  });

  it('takes hyper-parameters changed between steps, and traces again for another kernel', () => {
    const adam = (ps: Tensor[]) => new Adam(ps, { lr: 0.05 });
    const change = (s: number, o: Optimizer<any>) => {
      const g = o.paramGroups[0];
      if (s === 4) g.lr = 0.01;
      if (s === 5) g.betas = [0.8, 0.99];
      // Weight decay from 0 adds an L2 term: another kernel.
      if (s === 6) g.weightDecay = 0.1;
    };
    const eager = run(false, adam, change);
    const captured = run(true, adam, change);
    expect(captured.weights).toEqual(eager.weights);
    expect(captured.state).toEqual(eager.state);
    expect(captured.refusal).toMatch(/Adam: the update of a parameter changed kernel/);
    // Replays at steps 3, 4 and 5 (the rate and betas are scalars); traced again from 6.
    expect(captured.replays).toBe(3);
  });

  it('SGD with momentum: its first step makes the buffer, later ones replay', () => {
    const sgd = (ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true });
    const eager = run(false, sgd);
    const captured = run(true, sgd);
    expect(captured.weights).toEqual(eager.weights);
    expect(captured.state).toEqual(eager.state);
    expect(captured.replays).toBe(STEPS - 3);
  });
});
