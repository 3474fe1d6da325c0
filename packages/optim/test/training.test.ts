import { type Tensor, dispose, memory, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Adagrad,
  Adam,
  AdamW,
  CosineAnnealingLR,
  type Optimizer,
  RMSprop,
  SGD,
  StepLR,
  clipGradNorm,
} from '../src/index';
import { param, useCpu, values } from './helpers';

useCpu();

// A small over-determined least-squares problem: minimise ‖Ax − b‖².
const A = [
  [1, 2, 0],
  [0, 1, -1],
  [2, 0, 1],
  [1, 1, 1],
];
const B = [1, -2, 3, 0.5];

/** The minimiser from the normal equations AᵀA x = Aᵀb, by Gaussian elimination in float64. */
function leastSquares(): number[] {
  const n = 3;
  const M = Array.from({ length: n }, (_, i) => [
    ...Array.from({ length: n }, (_, j) => A.reduce((s, row) => s + row[i] * row[j], 0)),
    A.reduce((s, row, k) => s + row[i] * B[k], 0),
  ]);
  for (let c = 0; c < n; c++) {
    const piv = M.slice(c).reduce((best, row, k) => (Math.abs(row[c]) > Math.abs(M[best][c]) ? c + k : best), c);
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

function residual(x: number[]): number {
  return A.reduce((s, row, k) => s + (row[0] * x[0] + row[1] * x[1] + row[2] * x[2] - B[k]) ** 2, 0);
}

function lossOf(x: Tensor, a: Tensor, b: Tensor): Tensor {
  return a.matmul(x).sub(b).square().sum();
}

describe('minimising ‖Ax − b‖² with autograd', () => {
  const xStar = leastSquares();
  // Each case: the optimizer, the steps, and whether a cosine schedule anneals the rate over them.
  const cases: [string, (x: Tensor) => Optimizer<any>, number, boolean?][] = [
    ['SGD + momentum', (x) => new SGD([x], { lr: 0.01, momentum: 0.9 }), 300],
    ['SGD + nesterov', (x) => new SGD([x], { lr: 0.01, momentum: 0.9, nesterov: true }), 300],
    ['Adam', (x) => new Adam([x], { lr: 0.05 }), 1500],
    ['Adam amsgrad', (x) => new Adam([x], { lr: 0.05, amsgrad: true }), 1500],
    ['AdamW without decay', (x) => new AdamW([x], { lr: 0.05, weightDecay: 0 }), 1500],
    [
      'RMSprop centered + momentum, cosine-annealed',
      (x) => new RMSprop([x], { lr: 0.005, centered: true, momentum: 0.9 }),
      1500,
      true,
    ],
    ['RMSprop, cosine-annealed', (x) => new RMSprop([x], { lr: 0.01 }), 1500, true],
    ['Adagrad', (x) => new Adagrad([x], { lr: 0.5 }), 1500],
  ];
  for (const [name, make, steps, anneal] of cases) {
    it(`${name} reaches the least-squares solution to 1e-3 in ${steps} steps`, () => {
      const a = tensor(A).keep();
      const b = tensor(B.map((v) => [v])).keep();
      const x = param([[0], [0], [0]]);
      const opt = make(x);
      const schedule = anneal ? new CosineAnnealingLR(opt, { totalSteps: steps }) : null;
      for (let i = 0; i < steps; i++) {
        tidy(() => {
          opt.zeroGrad();
          lossOf(x, a, b).backward();
          opt.step();
        });
        schedule?.step();
      }
      const got = values(x);
      const err = Math.hypot(...got.map((v, i) => v - xStar[i]));
      expect(err, `x = ${got}, x* = ${xStar}`).toBeLessThan(1e-3);
      expect(residual(got) - residual(xStar)).toBeLessThan(1e-5);
      opt.zeroGrad();
      opt.dispose();
      dispose([a, b, x]);
    });
  }
});

describe('memory', () => {
  const configs: [string, (ps: Tensor[]) => Optimizer<any>][] = [
    ['SGD nesterov', (ps) => new SGD(ps, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4 })],
    ['Adam amsgrad', (ps) => new Adam(ps, { lr: 0.01, amsgrad: true, weightDecay: 1e-4 })],
    ['AdamW', (ps) => new AdamW(ps, { lr: 0.01 })],
    ['RMSprop centered momentum', (ps) => new RMSprop(ps, { lr: 0.001, centered: true, momentum: 0.9 })],
    ['Adagrad', (ps) => new Adagrad(ps, { lr: 0.01, lrDecay: 1e-3 })],
  ];
  for (const [name, make] of configs) {
    it(`${name}: 500 steps inside tidy leave numTensors and numBytes flat`, () => {
      const before = memory();
      const a = tensor(A).keep();
      const b = tensor(B.map((v) => [v])).keep();
      const w = param([[0.1], [0.2], [0.3]]);
      const bias = param([0.5]);
      const opt = make([w, bias]);
      const sched = new StepLR(opt, 50, 0.9);
      const step = () =>
        tidy(() => {
          const loss = a.matmul(w).add(bias).sub(b).square().mean();
          loss.backward();
          clipGradNorm(opt.params, 10);
          opt.step();
          opt.zeroGrad();
          sched.step();
        });
      step(); // the first step creates the optimizer state
      const after1 = memory();
      for (let i = 0; i < 499; i++) step();
      const after500 = memory();
      expect(after500.numTensors).toBe(after1.numTensors);
      expect(after500.numBytes).toBe(after1.numBytes);
      opt.dispose();
      dispose([a, b, w, bias]);
      const end = memory();
      expect(end.numTensors).toBe(before.numTensors);
      expect(end.numBytes).toBe(before.numBytes);
    });
  }

  it('schedules with state do not hold tensors either', () => {
    const before = memory();
    const w = param([1, 2]);
    const opt = new Adam([w], { lr: 0.1 });
    const sched = new CosineAnnealingLR(opt, { totalSteps: 100, warmupSteps: 10 });
    for (let i = 0; i < 100; i++) {
      tidy(() => {
        w.square().sum().backward();
        opt.step();
        opt.zeroGrad();
      });
      sched.step();
    }
    opt.dispose();
    w.dispose();
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numBytes).toBe(before.numBytes);
  });
});
