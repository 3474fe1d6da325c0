import { ArgumentError, dispose, memory } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, type Optimizer, RAdam, RMSprop, SGD } from '../src/index';
import { GRADS, INIT, param, setGrad, useCpu, values } from './helpers';

useCpu();

const p = () => param([1, 2]);

describe('defaults (PyTorch 2.x)', () => {
  it.each([
    [
      'NAdam',
      () => new NAdam([p()]),
      {
        lr: 2e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weightDecay: 0,
        momentumDecay: 4e-3,
        decoupledWeightDecay: false,
        maximize: false,
      },
    ],
    [
      'RAdam',
      () => new RAdam([p()]),
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, maximize: false },
    ],
    ['Adamax', () => new Adamax([p()]), { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false }],
    ['Adadelta', () => new Adadelta([p()]), { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false }],
  ] as const)('%s', (_name, make, want) => {
    const opt = make();
    const { params, ...hyper } = opt.paramGroups[0];
    expect(hyper).toEqual(want);
    for (const x of params) x.dispose();
  });

  it('maximize is false by default on every optimizer', () => {
    for (const make of [SGD, Adam, AdamW, RMSprop, Adagrad, NAdam, RAdam, Adamax, Adadelta] as (new (
      ps: unknown,
    ) => Optimizer<any>)[]) {
      const opt = new make([p()]);
      expect(opt.paramGroups[0].maximize, opt.name).toBe(false);
      opt.params[0].dispose();
    }
  });
});

describe('option errors', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'NAdam negative momentumDecay',
      () => new NAdam([p()], { momentumDecay: -1 }),
      /NAdam: momentumDecay must be a finite number >= 0, got -1/,
    ],
    [
      'NAdam decoupledWeightDecay not a boolean',
      () => new NAdam([p()], { decoupledWeightDecay: 1 as never }),
      /NAdam: decoupledWeightDecay must be a boolean, got 1/,
    ],
    [
      'NAdam snake_case option',
      () => new NAdam([p()], { momentum_decay: 0.1 } as never),
      /NAdam: unknown option 'momentum_decay' in options \(known: lr, betas, eps, weightDecay, momentumDecay, decoupledWeightDecay, maximize\)/,
    ],
    [
      'RAdam beta2 = 1',
      () => new RAdam([p()], { betas: [0.9, 1] }),
      /RAdam: betas\[1\] must be a number in \[0, 1\), got 1/,
    ],
    ['RAdam betas not a pair', () => new RAdam([p()], { betas: 0.9 as never }), /RAdam: betas must be a pair/],
    [
      'RAdam unknown option in a group',
      () => new RAdam([{ params: [p()], amsgrad: true } as never]),
      /RAdam: unknown option 'amsgrad' in a parameter group/,
    ],
    ['Adamax negative eps', () => new Adamax([p()], { eps: -1 }), /Adamax: eps must be a finite number >= 0, got -1/],
    [
      'Adamax beta1 = 1',
      () => new Adamax([p()], { betas: [1, 0.999] }),
      /Adamax: betas\[0\] must be a number in \[0, 1\), got 1/,
    ],
    [
      'Adadelta rho > 1',
      () => new Adadelta([p()], { rho: 1.5 }),
      /Adadelta: rho must be a number in \[0, 1\], got 1.5/,
    ],
    [
      'Adadelta negative weightDecay',
      () => new Adadelta([p()], { weightDecay: -0.1 }),
      /Adadelta: weightDecay must be a finite number >= 0, got -0.1/,
    ],
    [
      'SGD maximize not a boolean',
      () => new SGD([p()], { maximize: 'yes' as never }),
      /SGD: maximize must be a boolean, got "yes"/,
    ],
    [
      'Adam maximize not a boolean',
      () => new Adam([p()], { maximize: 1 as never }),
      /Adam: maximize must be a boolean, got 1/,
    ],
    [
      'Adagrad maximize in a group',
      () => new Adagrad([{ params: [p()], maximize: null as never }]),
      /Adagrad: maximize must be a boolean, got null/,
    ],
  ];
  it.each(cases)('%s', (_name, fn, msg) => {
    expect(fn).toThrow(ArgumentError);
    expect(fn).toThrow(msg);
  });
});

/** μ_t of PyTorch's NAdam. */
const mu = (beta1: number, psi: number, t: number) => beta1 * (1 - 0.5 * 0.96 ** (t * psi));

describe("NAdam's momentum product", () => {
  it('is kept per parameter, in the state dict, and takes a changed beta1 only in later factors (as PyTorch)', () => {
    const a = param(INIT);
    const opt = new NAdam([a], { lr: 0.01, momentumDecay: 0.5 });
    for (let t = 0; t < 2; t++) {
      setGrad(a, GRADS[t]);
      opt.step();
    }
    opt.paramGroups[0].betas = [0.5, 0.999]; // a schedule (OneCycleLR) changes β1 like this
    setGrad(a, GRADS[2]);
    opt.step();
    const want = mu(0.9, 0.5, 1) * mu(0.9, 0.5, 2) * mu(0.5, 0.5, 3);
    expect(opt.getState(a)?.values?.muProduct).toBeCloseTo(want, 15);
    const sd = opt.stateDict();
    expect(sd.state['0'].values).toEqual({ muProduct: opt.getState(a)?.values?.muProduct });
    dispose(sd);
    opt.dispose();
    a.zeroGrad();
    a.dispose();
  });

  it('a state dict without it (as Keras saves) continues with the product of the current factors', () => {
    const before = memory().numTensors;
    const a1 = param(INIT);
    const opt1 = new NAdam([a1], { lr: 0.05, momentumDecay: 0.3 });
    for (let t = 0; t < 3; t++) {
      setGrad(a1, GRADS[t]);
      opt1.step();
    }
    const sd = opt1.stateDict();
    delete sd.state['0'].values;
    const a2 = param(values(a1));
    const opt2 = new NAdam([a2]);
    opt2.loadStateDict(sd);
    for (let t = 3; t < 5; t++) {
      setGrad(a1, GRADS[t]);
      setGrad(a2, GRADS[t]);
      opt1.step();
      opt2.step();
      expect(values(a2)).toEqual(values(a1));
    }
    expect(opt2.getState(a2)?.values?.muProduct).toBe(opt1.getState(a1)?.values?.muProduct);
    dispose(sd);
    for (const o of [opt1, opt2]) o.dispose();
    for (const x of [a1, a2]) {
      x.zeroGrad();
      x.dispose();
    }
    expect(memory().numTensors).toBe(before);
  });

  it('a step that throws leaves it (and the step counts) as they were', () => {
    const a = param(INIT);
    const b = param([1, 2]);
    const opt = new NAdam([a, b], { lr: 0.05 });
    setGrad(a, GRADS[0]);
    opt.step();
    const product = opt.getState(a)?.values?.muProduct;
    setGrad(a, GRADS[1]);
    setGrad(b, [1, 2, 3]); // the wrong shape: the step throws after a's update was prepared
    expect(() => opt.step()).toThrow(/NAdam.step: gradient of shape \[3\] for a parameter of shape \[2\]/);
    expect(opt.getState(a)?.values?.muProduct).toBe(product);
    expect(opt.getState(a)?.step).toBe(1);
    expect(opt.getState(b)).toBeUndefined();
    opt.dispose();
    for (const x of [a, b]) {
      x.zeroGrad();
      x.dispose();
    }
  });

  it('loadStateDict rejects unknown or non-finite values, and values for optimizers that keep none', () => {
    const a = param([1, 2]);
    const opt = new NAdam([a]);
    setGrad(a, [1, 1]);
    opt.step();
    const sd = opt.stateDict();
    const withValues = (v: unknown) => ({ ...sd, state: { '0': { ...sd.state['0'], values: v } } }) as never;
    expect(() => opt.loadStateDict(withValues({ mu: 1 }))).toThrow(
      /NAdam.loadStateDict: unknown value 'mu' for parameter 0 \(NAdam keeps muProduct\)/,
    );
    expect(() => opt.loadStateDict(withValues({ muProduct: NaN }))).toThrow(
      /value 'muProduct' of parameter 0 must be a finite number, got NaN/,
    );
    expect(() => opt.loadStateDict(withValues([1]))).toThrow(/values of parameter 0 must be an object of numbers/);
    const b = param([1, 2]);
    const adam = new Adam([b]);
    const adamSd = adam.stateDict();
    const tampered = { ...adamSd, state: { '0': { step: 1, tensors: {}, values: { muProduct: 0.5 } } } };
    expect(() => adam.loadStateDict(tampered)).toThrow(
      /Adam.loadStateDict: unknown value 'muProduct' for parameter 0 \(Adam keeps none\)/,
    );
    b.dispose();
    expect(opt.getState(a)?.values?.muProduct).toBeCloseTo(mu(0.9, 4e-3, 1), 15);
    dispose(sd);
    opt.dispose();
    a.zeroGrad();
    a.dispose();
  });
});
