import { noGrad } from '@tsdl/autograd';
import { ArgumentError, DTypeError, getBackend, tensor } from '@tsdl/tensor';
import { type ElementwiseSpec } from '@tsdl/tensor/backend';
import { describe, expect, it } from 'vitest';
import { Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, type Optimizer, RAdam, RMSprop, SGD } from '../src/index';
import { param, setGrad, useCpu, values } from './helpers';

useCpu();

/** Records the elementwise kernels the backend runs while `fn` runs. */
function spyKernels(fn: () => void): ElementwiseSpec[] {
  const backend = getBackend();
  const original = backend.elementwise;
  const specs: ElementwiseSpec[] = [];
  // An own property shadows the (prototype) method for the duration of fn.
  backend.elementwise = function (spec: ElementwiseSpec) {
    specs.push(spec);
    return original.call(this, spec);
  };
  try {
    fn();
  } finally {
    delete (backend as { elementwise?: unknown }).elementwise;
    if (backend.elementwise !== original) backend.elementwise = original;
  }
  return specs;
}

const MAKERS: [string, (ps: ReturnType<typeof param>[]) => Optimizer<any>, number][] = [
  ['SGD', (ps) => new SGD(ps, { lr: 0.1 }), 1],
  ['SGD momentum', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 }), 2],
  ['SGD nesterov', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }), 2],
  ['Adam', (ps) => new Adam(ps, { lr: 0.1 }), 3],
  ['Adam amsgrad', (ps) => new Adam(ps, { lr: 0.1, amsgrad: true }), 4],
  ['AdamW', (ps) => new AdamW(ps, { lr: 0.1 }), 3],
  ['RMSprop centered momentum', (ps) => new RMSprop(ps, { centered: true, momentum: 0.9 }), 4],
  ['Adagrad', (ps) => new Adagrad(ps), 2],
  ['NAdam', (ps) => new NAdam(ps, { weightDecay: 0.1, decoupledWeightDecay: true }), 3],
  ['RAdam', (ps) => new RAdam(ps), 3], // steps 2 and 3 both take the un-rectified kernel (ρ_t ≤ 5 until step 6)
  ['Adamax', (ps) => new Adamax(ps), 3],
  ['Adadelta maximize', (ps) => new Adadelta(ps, { maximize: true }), 3],
  ['SGD maximize', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, maximize: true }), 2],
];

describe('Optimizer', () => {
  for (const [name, make, outputs] of MAKERS) {
    it(`${name}: one fused kernel per parameter, keyed independently of lr`, () => {
      const a = param([1, 2, 3]);
      const b = param([
        [1, 2],
        [3, 4],
      ]);
      const opt = make([a, b]);
      setGrad(a, [0.1, 0.2, 0.3]);
      setGrad(b, [
        [0.5, -0.5],
        [1, -1],
      ]);
      opt.step(); // creates the state
      const first = spyKernels(() => opt.step());
      expect(first.length).toBe(2);
      for (const spec of first) expect(spec.exprs.length).toBe(outputs);
      opt.lr = 0.003;
      const second = spyKernels(() => opt.step());
      expect(second.map((s) => s.key)).toEqual(first.map((s) => s.key));
      expect(second[0].scalars).not.toEqual(first[0].scalars);
      opt.dispose();
      for (const p of [a, b]) {
        p.zeroGrad();
        p.dispose();
      }
    });
  }

  it('skips parameters without a gradient and keeps parameters leaves', () => {
    const a = param([1, 2]);
    const b = param([3, 4]);
    const opt = new Adam([a, b], { lr: 0.1 });
    setGrad(a, [1, 1]);
    opt.step();
    expect(values(b)).toEqual([3, 4]);
    expect(opt.getState(b)).toBeUndefined();
    expect(opt.getState(a)?.step).toBe(1);
    expect(a.isLeaf).toBe(true);
    expect(a.requiresGrad).toBe(true);
    expect(values(a)[0]).toBeCloseTo(0.9, 5);
    opt.dispose();
    a.zeroGrad();
    a.dispose();
    b.dispose();
  });

  it('zeroGrad clears and disposes gradients', () => {
    const a = param([1, 2]);
    const opt = new SGD([a], { lr: 0.1 });
    setGrad(a, [1, 1]);
    const g = a.grad;
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    expect(g?.isDisposed).toBe(true);
    opt.step(); // no gradients: nothing happens
    expect(values(a)).toEqual([1, 2]);
    a.dispose();
  });

  it('updates are not recorded, even when called with grad mode on', () => {
    const a = param([1, 2]);
    const opt = new SGD([a], { lr: 0.5 });
    const loss = a.mul(a).sum();
    loss.backward();
    loss.dispose();
    opt.step();
    expect(a.gradFn).toBeNull();
    expect(values(a)).toEqual([0, 0]);
    opt.zeroGrad();
    a.dispose();
  });

  it('the lr property reads the first group and sets every group', () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    expect(opt.lr).toBe(0.1);
    expect(opt.paramGroups[1].lr).toBe(0.5);
    opt.lr = 0.2;
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.2, 0.2]);
    expect(() => (opt.lr = -1)).toThrow(/SGD: lr must be a finite number >= 0, got -1/);
    a.dispose();
    b.dispose();
  });

  it('addParamGroup adds parameters with their own hyper-parameters', () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new Adam([a], { lr: 0.1 });
    opt.addParamGroup({ params: [b], lr: 0.01 });
    expect(opt.params).toEqual([a, b]);
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.01, betas: [0.9, 0.999] });
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(ArgumentError);
    a.dispose();
    b.dispose();
  });

  describe('errors', () => {
    const p = () => param([1, 2]);
    const cases: [string, () => unknown, RegExp][] = [
      ['negative lr', () => new Adam([p()], { lr: -1 }), /Adam: lr must be a finite number >= 0, got -1/],
      ['NaN lr', () => new SGD([p()], { lr: NaN }), /SGD: lr must be a finite number >= 0, got NaN/],
      [
        'beta1 = 1',
        () => new Adam([p()], { betas: [1, 0.999] }),
        /Adam: betas\[0\] must be a number in \[0, 1\), got 1/,
      ],
      [
        'beta2 < 0',
        () => new AdamW([p()], { betas: [0.9, -0.1] }),
        /AdamW: betas\[1\] must be a number in \[0, 1\), got -0.1/,
      ],
      [
        'betas not a pair',
        () => new Adam([p()], { betas: [0.9] as unknown as [number, number] }),
        /Adam: betas must be a pair/,
      ],
      ['negative eps', () => new Adam([p()], { eps: -1e-8 }), /Adam: eps must be .* got -1e-8/],
      ['negative weight decay', () => new SGD([p()], { weightDecay: -0.1 }), /SGD: weightDecay must be .* got -0.1/],
      ['negative momentum', () => new SGD([p()], { momentum: -0.5 }), /SGD: momentum must be .* got -0.5/],
      [
        'dampening > 1',
        () => new SGD([p()], { momentum: 0.9, dampening: 2 }),
        /SGD: dampening must be a number in \[0, 1\], got 2/,
      ],
      [
        'nesterov without momentum',
        () => new SGD([p()], { nesterov: true }),
        /SGD: nesterov momentum needs momentum > 0 and dampening 0/,
      ],
      [
        'RMSprop alpha',
        () => new RMSprop([p()], { alpha: 1.5 }),
        /RMSprop: alpha must be a number in \[0, 1\), got 1.5/,
      ],
      ['Adagrad lrDecay', () => new Adagrad([p()], { lrDecay: -1 }), /Adagrad: lrDecay must be .* got -1/],
      ['unknown option', () => new Adam([p()], { learningRate: 0.1 } as never), /Adam: unknown option 'learningRate'/],
      ['bad group option', () => new Adam([{ params: [p()], lr: -2 }]), /Adam: lr must be .* got -2/],
      ['empty parameter list', () => new Adam([]), /Adam: got an empty parameter list/],
      ['a single tensor', () => new SGD(p() as never), /SGD: params must be an iterable.*single Tensor/],
      [
        'a duplicated parameter',
        () => {
          const x = p();
          return new SGD([x, x]);
        },
        /SGD: a parameter .* appears more than once/,
      ],
    ];
    for (const [name, fn, msg] of cases) {
      it(name, () => {
        expect(fn).toThrow(ArgumentError);
        expect(fn).toThrow(msg);
      });
    }

    it('rejects non-float32 and non-leaf parameters', () => {
      const i = tensor([1, 2], undefined, 'int32');
      expect(() => new SGD([i])).toThrow(DTypeError);
      const a = param([1, 2]);
      const y = a.mul(2);
      expect(() => new SGD([y])).toThrow(/SGD: cannot optimize a non-leaf tensor/);
      noGrad(() => y.dispose());
    });
  });
});
