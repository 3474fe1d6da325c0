import { ArgumentError, ShapeError, type Tensor, dispose, memory } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, type Optimizer, RAdam, RMSprop, SGD } from '../src/index';
import { GRADS, INIT, param, setGrad, useCpu, values } from './helpers';

useCpu();

type Make = (ps: Tensor[], lr: number) => Optimizer<any>;

const CONFIGS: [string, Make][] = [
  ['SGD nesterov', (ps, lr) => new SGD(ps, { lr, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ['Adam amsgrad', (ps, lr) => new Adam(ps, { lr, amsgrad: true, betas: [0.8, 0.9] })],
  ['AdamW', (ps, lr) => new AdamW(ps, { lr })],
  ['RMSprop centered momentum', (ps, lr) => new RMSprop(ps, { lr, centered: true, momentum: 0.5 })],
  ['Adagrad', (ps, lr) => new Adagrad(ps, { lr, lrDecay: 0.1, initialAccumulatorValue: 0.1 })],
  [
    'NAdam decoupled maximize',
    (ps, lr) => new NAdam(ps, { lr, weightDecay: 0.1, decoupledWeightDecay: true, maximize: true, momentumDecay: 0.2 }),
  ],
  ['RAdam', (ps, lr) => new RAdam(ps, { lr, betas: [0.5, 0.9], weightDecay: 0.1 })],
  ['Adamax maximize', (ps, lr) => new Adamax(ps, { lr, weightDecay: 0.1, maximize: true })],
  ['Adadelta', (ps, lr) => new Adadelta(ps, { lr, rho: 0.5, weightDecay: 0.1 })],
];

const SECOND = [
  [0.25, -0.5],
  [1, 2],
];

describe('stateDict / loadStateDict', () => {
  for (const [name, make] of CONFIGS) {
    it(`${name}: a round trip gives identical subsequent updates`, () => {
      const before = memory();
      const p1 = param(INIT);
      const q1 = param([0.5, -0.5]);
      const opt1 = make([p1, q1], 0.05);
      for (let t = 0; t < 3; t++) {
        setGrad(p1, GRADS[t]);
        if (t !== 1) setGrad(q1, SECOND[t === 0 ? 0 : 1]);
        else q1.zeroGrad(); // q1 misses a step: its own step count differs
        opt1.step();
      }
      const sd = opt1.stateDict();
      expect(sd.optimizer).toBe(opt1.name);
      expect(sd.stepCount).toBe(3);
      expect(sd.groups[0].params).toEqual([0, 1]);
      expect(sd.state['0'].step).toBe(3);
      expect(sd.state['1'].step).toBe(2);
      const snapshot = Object.fromEntries(Object.entries(sd.state['0'].tensors).map(([k, t]) => [k, values(t)]));

      // A fresh optimizer with other hyper-parameters over copies of the parameters.
      const p2 = param(values(p1));
      const q2 = param(values(q1));
      const opt2 = make([p2, q2], 1);
      opt2.loadStateDict(sd);
      expect(opt2.lr).toBe(0.05);
      expect(opt2.stepCount).toBe(3);

      for (let t = 3; t < 5; t++) {
        for (const [p, q] of [
          [p1, q1],
          [p2, q2],
        ]) {
          setGrad(p, GRADS[t]);
          setGrad(q, SECOND[t - 3]);
        }
        opt1.step();
        opt2.step();
        expect(values(p2)).toEqual(values(p1));
        expect(values(q2)).toEqual(values(q1));
      }
      // The state dict is a snapshot: later steps did not change it.
      for (const [k, t] of Object.entries(sd.state['0'].tensors)) expect(values(t)).toEqual(snapshot[k]);

      dispose(sd);
      for (const o of [opt1, opt2]) o.dispose();
      for (const p of [p1, q1, p2, q2]) {
        p.zeroGrad();
        p.dispose();
      }
      expect(memory().numTensors).toBe(before.numTensors);
      expect(memory().numBytes).toBe(before.numBytes);
    });
  }

  it('rejects a state dict from another optimizer or for other shapes', () => {
    const p = param([1, 2]);
    const adam = new Adam([p], { lr: 0.1 });
    setGrad(p, [1, 1]);
    adam.step();
    const sd = adam.stateDict();
    expect(() => new SGD([param([1, 2])]).loadStateDict(sd)).toThrow(
      /SGD.loadStateDict: the state dict is from 'Adam', not 'SGD'/,
    );
    expect(() => new Adam([param([1, 2, 3])]).loadStateDict(sd)).toThrow(ShapeError);
    expect(() => new Adam([param([1]), param([2])]).loadStateDict(sd)).toThrow(
      /group 0 has 1 parameters in the state dict but 2 here/,
    );
    const bad = { ...sd, groups: [{ ...sd.groups[0], hyper: { ...sd.groups[0].hyper, lr: -1 } }] };
    expect(() => new Adam([param([1, 2])]).loadStateDict(bad)).toThrow(ArgumentError);
    dispose(sd);
    adam.dispose();
    p.zeroGrad();
    p.dispose();
  });
});
