import type { OptimizerCase, OptimizerFixtures } from './optimizer-fixtures';

/**
 * float64 references of torch.optim.NAdam and torch.optim.RAdam as PyTorch
 * 2.x documents and implements them (`_single_tensor_nadam`,
 * `_single_tensor_radam`), for the options PyTorch 1.13 (the fixture
 * script's) lacks: `maximize` and `decoupled_weight_decay`. Checked against
 * 1.13's trajectories where the options overlap.
 *
 * PyTorch 1.13's NAdam has a bug that 2.0 fixed: it computes
 * Π_{t+1} = Π_t·μ_t·μ_{t+1}, counting μ_t twice (2.x: Π_t·μ_{t+1}). tsdl
 * follows 2.x; `torch113MuBug` reproduces 1.13, to check this reference
 * against 1.13's fixtures.
 */

export interface Torch2Options {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  decoupledWeightDecay: boolean;
  maximize: boolean;
  /** NAdam's ψ. */
  momentumDecay: number;
  /** NAdam as PyTorch 1.13 computes it (see above). */
  torch113MuBug?: boolean;
}

interface State {
  step: number;
  m: number[];
  v: number[];
  muProduct: number;
}

type Update = (theta: number[], grad: number[], s: State, o: Torch2Options) => void;

/** Gradient after maximize and (L2) weight decay; applies decoupled decay to θ. */
function prepare(theta: number[], grad: number[], o: Torch2Options): number[] {
  const g = grad.map((x) => (o.maximize ? -x : x));
  if (o.weightDecay !== 0) {
    for (let k = 0; k < theta.length; k++) {
      if (o.decoupledWeightDecay) theta[k] *= 1 - o.lr * o.weightDecay;
      else g[k] += o.weightDecay * theta[k];
    }
  }
  return g;
}

const nadamStep: Update = (theta, grad, s, o) => {
  const [b1, b2] = o.betas;
  const t = s.step;
  const g = prepare(theta, grad, o);
  const bc2 = 1 - b2 ** t;
  const mu = b1 * (1 - 0.5 * 0.96 ** (t * o.momentumDecay));
  const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * o.momentumDecay));
  s.muProduct *= mu;
  const muProductNext = o.torch113MuBug ? s.muProduct * mu * muNext : s.muProduct * muNext;
  for (let k = 0; k < theta.length; k++) {
    s.m[k] = b1 * s.m[k] + (1 - b1) * g[k];
    s.v[k] = b2 * s.v[k] + (1 - b2) * g[k] * g[k];
    const denom = Math.sqrt(s.v[k] / bc2) + o.eps;
    theta[k] += ((-o.lr * (1 - mu)) / (1 - s.muProduct)) * (g[k] / denom);
    theta[k] += ((-o.lr * muNext) / (1 - muProductNext)) * (s.m[k] / denom);
  }
};

const radamStep: Update = (theta, grad, s, o) => {
  const [b1, b2] = o.betas;
  const t = s.step;
  const g = prepare(theta, grad, o);
  const bc1 = 1 - b1 ** t;
  const bc2 = 1 - b2 ** t;
  const rhoInf = 2 / (1 - b2) - 1;
  const rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
  for (let k = 0; k < theta.length; k++) {
    s.m[k] = b1 * s.m[k] + (1 - b1) * g[k];
    s.v[k] = b2 * s.v[k] + (1 - b2) * g[k] * g[k];
    const mhat = s.m[k] / bc1;
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      const adaptive = Math.sqrt(bc2) / (Math.sqrt(s.v[k]) + o.eps);
      theta[k] -= mhat * o.lr * adaptive * rect;
    } else {
      theta[k] -= mhat * o.lr;
    }
  }
};

/**
 * The fixtures' parameters, gradients and skipped step, with options `o[i]`
 * for parameter i: the trajectory in the fixtures' layout.
 */
function trajectory(fx: OptimizerFixtures, update: Update, o: Torch2Options[]): number[][][] {
  const thetas = fx.init.map((v) => (v as number[] | number[][]).flat());
  const states: State[] = thetas.map((th) => ({ step: 0, m: th.map(() => 0), v: th.map(() => 0), muProduct: 1 }));
  const out: number[][][] = [];
  for (let t = 1; t <= fx.steps; t++) {
    thetas.forEach((theta, i) => {
      if (i === 1 && t === fx.skipStep) return;
      states[i].step++;
      update(theta, (fx.grads[t - 1][i] as number[] | number[][]).flat(), states[i], o[i]);
    });
    out.push(thetas.map((th) => [...th]));
  }
  return out;
}

const NADAM_DEFAULTS: Torch2Options = {
  lr: 2e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0,
  decoupledWeightDecay: false,
  maximize: false,
  momentumDecay: 4e-3,
};
const RADAM_DEFAULTS: Torch2Options = { ...NADAM_DEFAULTS, lr: 1e-3 };

/** Options for every parameter, or one set per parameter (their groups'). */
type Given = Partial<Torch2Options> | Partial<Torch2Options>[];

function perParam(fx: OptimizerFixtures, defaults: Torch2Options, o: Given): Torch2Options[] {
  return fx.init.map((_, i) => ({ ...defaults, ...(Array.isArray(o) ? o[i] : o) }));
}

export function nadamReference(fx: OptimizerFixtures, o: Given): number[][][] {
  return trajectory(fx, nadamStep, perParam(fx, NADAM_DEFAULTS, o));
}

export function radamReference(fx: OptimizerFixtures, o: Given): number[][][] {
  return trajectory(fx, radamStep, perParam(fx, RADAM_DEFAULTS, o));
}

/** A fixture case's options per parameter (its group's over the optimizer's). */
export function caseOptions(c: OptimizerCase): Partial<Torch2Options>[] {
  const out: Partial<Torch2Options>[] = [];
  for (const g of c.groups) for (const i of g.params) out[i] = { ...c.options, ...g.options } as Partial<Torch2Options>;
  return out;
}
