import { type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  CosineDecay,
  CosineDecayRestarts,
  Dense,
  ExponentialDecay,
  InverseTimeDecay,
  LearningRateSchedule,
  type Model,
  PiecewiseConstantDecay,
  PolynomialDecay,
  Sequential,
  deserializeSchedule,
  modelFromArtifacts,
  modelToArtifacts,
  optimizers,
  serializeSchedule,
} from '../src/index';
import { useCpu } from './helpers';

useCpu();

const { schedules } = optimizers;

/** Asserts schedule(step) for each [step, expected] pair, to 1e-12 relative. */
function expectRates(s: LearningRateSchedule, pairs: [number, number][]): void {
  for (const [step, want] of pairs) {
    const got = s.call(step);
    if (!(Math.abs(got - want) <= 1e-12 * Math.abs(want) + 1e-18))
      throw new Error(`${s.className} at step ${step}: got ${got}, expected ${want}`);
  }
}

describe('keras.optimizers.schedules: known answers from Keras’ formulas', () => {
  it('ExponentialDecay: initial · rate^(step/decaySteps), floored with staircase', () => {
    expectRates(schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }), [
      [0, 0.1],
      [5, 0.1 * Math.SQRT1_2],
      [10, 0.05],
      [25, 0.1 * 0.5 ** 2.5],
    ]);
    expectRates(new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true }), [
      [9, 0.1],
      [25, 0.025],
    ]);
  });

  it('PiecewiseConstantDecay: values[i] up to and including boundaries[i]', () => {
    expectRates(new PiecewiseConstantDecay({ boundaries: [100, 110], values: [1, 0.5, 0.1] }), [
      [0, 1],
      [100, 1],
      [101, 0.5],
      [110, 0.5],
      [111, 0.1],
      [1e6, 0.1],
    ]);
  });

  it('PolynomialDecay: to endLearningRate and then flat, or cycling over multiples of decaySteps', () => {
    const args = { initialLearningRate: 0.1, decaySteps: 10, endLearningRate: 0.01, power: 0.5 };
    expectRates(new PolynomialDecay(args), [
      [0, 0.1],
      [5, 0.09 * Math.SQRT1_2 + 0.01],
      [10, 0.01],
      [20, 0.01],
    ]);
    // cycle: at step 15 the period is 20 steps, so (1 − 15/20)^0.5 = 0.5.
    expectRates(new PolynomialDecay({ ...args, cycle: true }), [
      [0, 0.1],
      [10, 0.01],
      [15, 0.055],
    ]);
    expect(new PolynomialDecay({ initialLearningRate: 1, decaySteps: 4 }).call(2)).toBeCloseTo(0.50005, 15); // end 1e-4, power 1 by default
  });

  it('InverseTimeDecay: initial / (1 + rate · step/decaySteps), floored with staircase', () => {
    expectRates(new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5 }), [
      [0, 0.1],
      [2, 0.05],
      [3, 0.04],
    ]);
    expectRates(new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 2, decayRate: 0.5, staircase: true }), [
      [1, 0.1],
      [3, 0.1 / 1.5],
    ]);
  });

  it('CosineDecay without warm-up: from initial to alpha · initial over decaySteps, then flat', () => {
    expectRates(new CosineDecay({ initialLearningRate: 0.1, decaySteps: 100 }), [
      [0, 0.1],
      [50, 0.05],
      [100, 0],
      [150, 0],
    ]);
    expectRates(new CosineDecay({ initialLearningRate: 0.1, decaySteps: 100, alpha: 0.1 }), [
      [50, 0.1 * (0.9 * 0.5 + 0.1)],
      [100, 0.01],
    ]);
  });

  it('CosineDecay with warm-up (Keras 3): linear from initial to warmupTarget, then cosine from warmupTarget', () => {
    // nanoGPT-like: 100 warm-up steps to 1e-3, then 900 steps of cosine down to 0.1 · 1e-3.
    const s = schedules.CosineDecay({
      initialLearningRate: 0,
      decaySteps: 900,
      alpha: 0.1,
      warmupTarget: 1e-3,
      warmupSteps: 100,
    });
    expectRates(s, [
      [0, 0],
      [1, 1e-5],
      [50, 5e-4],
      [100, 1e-3],
      [550, 1e-3 * (0.9 * 0.5 + 0.1)],
      [1000, 1e-4],
      [5000, 1e-4],
    ]);
    // From a non-zero start: initial + (target − initial) · step / W.
    expectRates(new CosineDecay({ initialLearningRate: 0.2, decaySteps: 10, warmupTarget: 1, warmupSteps: 4 }), [
      [1, 0.4],
      [4, 1],
      [9, 0.5],
    ]);
  });

  it('CosineDecayRestarts: periods of firstDecaySteps · tMul^i starting at mMul^i', () => {
    const s = new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 10, tMul: 2, mMul: 0.5 });
    // Periods: [0, 10), [10, 30), [30, 70), [70, 150).
    expectRates(s, [
      [0, 1],
      [5, 0.5],
      [10, 0.5],
      [20, 0.25],
      [30, 0.25],
      [50, 0.125],
      [70, 0.125],
    ]);
    expectRates(new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 4, tMul: 1, alpha: 0.2 }), [
      [2, 0.8 * 0.5 + 0.2],
      [4, 1],
      [6, 0.6],
    ]);
    // Restarts at 1, 11, 111, 1111: log(1000)/log(10) is 2.9999999999999996 in float64, and the
    // restart at step 111 must still begin period 3 (0.5³), not end period 2 (0).
    const tenfold = new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 1, tMul: 10, mMul: 0.5 });
    expect(tenfold.period(111)).toEqual([3, 0]);
    expectRates(tenfold, [[111, 0.125]]);
  });

  it('unknown and bad options are ArgumentErrors naming the schedule and option', () => {
    expect(() => new CosineDecay({ initialLearningRate: 0.1, decaySteps: 10, warmup: 5 } as never)).toThrow(
      /CosineDecay: unknown option 'warmup' \(known: initialLearningRate, decaySteps, alpha, name, warmupTarget, warmupSteps\)/,
    );
    expect(() => new CosineDecay({ initialLearningRate: 0.1, decaySteps: 0 })).toThrow(
      /CosineDecay: decaySteps must be a finite number > 0, got 0/,
    );
    expect(() => new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10 } as never)).toThrow(
      /ExponentialDecay: decayRate must be a finite number >= 0, got undefined/,
    );
    expect(() => new PiecewiseConstantDecay({ boundaries: [10, 5], values: [1, 2, 3] })).toThrow(
      /boundaries must increase strictly/,
    );
    expect(() => new PiecewiseConstantDecay({ boundaries: [10], values: [1] })).toThrow(
      /values must have one more entry than boundaries \(2\)/,
    );
    expect(() => new InverseTimeDecay({ initialLearningRate: -1, decaySteps: 1, decayRate: 1 })).toThrow(
      /initialLearningRate must be a finite number >= 0, got -1/,
    );
    expect(() => new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 10, tMul: 0.5 })).toThrow(
      /tMul must be a finite number >= 1, got 0.5/,
    );
    expect(() => new PolynomialDecay({ initialLearningRate: 1, decaySteps: 4, cycle: 'yes' } as never)).toThrow(
      /PolynomialDecay: cycle must be a boolean, got 'yes'/,
    );
    expect(() => new CosineDecay(null as never)).toThrow(/CosineDecay: the options must be an object/);
  });
});

describe('serialize / deserialize', () => {
  it('every schedule round-trips through { className, config }, and Keras’ snake_case form loads', () => {
    const all: LearningRateSchedule[] = [
      new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true }),
      new PiecewiseConstantDecay({ boundaries: [3, 7], values: [1, 0.5, 0.1] }),
      new PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 10, cycle: true }),
      new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 2, decayRate: 0.5 }),
      new CosineDecay({ initialLearningRate: 0, decaySteps: 9, warmupTarget: 1, warmupSteps: 3, name: 'warm' }),
      new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 3, mMul: 0.9 }),
    ];
    for (const s of all) {
      const back = deserializeSchedule(JSON.parse(JSON.stringify(serializeSchedule(s))));
      expect(back.className).toBe(s.className);
      expect(back.getConfig()).toEqual(s.getConfig());
      for (const step of [0, 1, 2, 4, 8, 13]) expect(back.call(step)).toBe(s.call(step));
    }
    const keras = {
      module: 'keras.optimizers.schedules',
      class_name: 'CosineDecay',
      config: {
        initial_learning_rate: 0.1,
        decay_steps: 100,
        alpha: 0.0,
        name: 'CosineDecay',
        warmup_target: null,
        warmup_steps: 0,
      },
      registered_name: null,
    };
    const s = schedules.deserialize(keras);
    expect(s).toBeInstanceOf(CosineDecay);
    expect(s.call(50)).toBeCloseTo(0.05, 15);
    expect(() => deserializeSchedule({ className: 'StepDecay', config: {} })).toThrow(
      /unknown learning-rate schedule 'StepDecay' for className \(known: ExponentialDecay, /,
    );
    expect(() => deserializeSchedule({ className: 'CosineDecay', config: {}, extra: 1 })).toThrow(
      /unknown key 'extra'/,
    );
  });
});

/** y = w·x with w = 1, no bias: on x = 1, y = 0 the MSE gradient is 2w, so plain SGD gives w ← w·(1 − 2·lr). */
function unit(optimizer: ReturnType<typeof optimizers.SGD>): Sequential {
  const m = new Sequential([new Dense({ units: 1, useBias: false, kernelInitializer: 'ones', inputShape: [1] })]);
  m.compile({ optimizer, loss: 'mse' });
  return m;
}

const weight = (m: Model): number => (m.parameters()[0] as Tensor).dataSync()[0];

describe('a schedule as a Keras optimizer’s learningRate', () => {
  it('is evaluated at every update at the optimizer’s step count (Keras’ iterations)', async () => {
    const m = unit(
      optimizers.SGD({
        learningRate: schedules.PiecewiseConstantDecay({ boundaries: [0, 1], values: [0.1, 0.2, 0.05] }),
      }),
    );
    expect(m.learningRate).toBe(0.1); // the rate of the first update, before the optimizer exists
    const x = tensor([[1]]);
    const y = tensor([[0]]);
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      await m.trainOnBatch(x, y);
      rates.push(m.learningRate);
    }
    // Updates 0, 1, 2 used 0.1, 0.2, 0.05: w = 0.8 · 0.6 · 0.9.
    expect(weight(m)).toBeCloseTo(0.8 * 0.6 * 0.9, 6);
    // Between updates the rate reads as the next update's.
    expect(rates).toEqual([0.2, 0.05, 0.05]);
    expect(() => (m.learningRate = 0.5)).toThrow(
      /SGD: the learning rate is a PiecewiseConstantDecay schedule, so it cannot be set/,
    );
    x.dispose();
    y.dispose();
    m.optimizer?.dispose();
    m.dispose();
  });

  it('is saved in the optimizer config and a loaded model resumes it where it stopped', async () => {
    const s = schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5 });
    const m = unit(optimizers.SGD({ learningRate: s }));
    const x = tensor([[1]]);
    const y = tensor([[0]]);
    await m.trainOnBatch(x, y);
    await m.trainOnBatch(x, y);
    const art = await modelToArtifacts(m, { includeOptimizer: true });
    const saved = (art.config as { compileConfig: { optimizer: unknown } }).compileConfig.optimizer;
    expect(saved).toEqual({
      className: 'SGD',
      config: {
        learningRate: {
          className: 'ExponentialDecay',
          config: {
            initialLearningRate: 0.1,
            decaySteps: 1,
            decayRate: 0.5,
            staircase: false,
            name: 'ExponentialDecay',
          },
        },
        momentum: 0,
        nesterov: false,
      },
    });
    const loaded = modelFromArtifacts({ ...art, config: JSON.parse(JSON.stringify(art.config)) });
    // Two updates done: the next uses 0.1 · 0.5² on both models.
    expect(loaded.learningRate).toBeCloseTo(0.025, 15);
    await m.trainOnBatch(x, y);
    await loaded.trainOnBatch(x, y);
    expect(weight(loaded)).toBe(weight(m));
    expect(weight(m)).toBeCloseTo(0.8 * 0.9 * 0.95, 6);
    // Without the optimizer state the schedule starts again from step 0.
    const fresh = modelFromArtifacts(await modelToArtifacts(m));
    expect(fresh.learningRate).toBe(0.1);
    x.dispose();
    y.dispose();
    for (const model of [m, loaded, fresh]) {
      model.optimizer?.dispose();
      model.dispose();
    }
  });

  it('a config naming a schedule compiles, and a bad one is refused', () => {
    const m = new Sequential([new Dense({ units: 1, inputShape: [1] })]);
    m.compile({
      optimizer: {
        className: 'adam',
        config: { learning_rate: { className: 'CosineDecay', config: { initialLearningRate: 0.01, decaySteps: 10 } } },
      },
      loss: 'mse',
    });
    expect(m.learningRate).toBe(0.01);
    expect(() =>
      m.compile({
        optimizer: { className: 'adam', config: { learningRate: { className: 'Cosine', config: {} } } },
        loss: 'mse',
      }),
    ).toThrow(/Adam: learningRate: unknown learning-rate schedule 'Cosine'/);
    expect(() => optimizers.Adam({ learningRate: '0.1' as never })).toThrow(
      /Adam: learningRate must be a finite number, got '0.1' \(or a learning-rate schedule\)/,
    );
    m.dispose();
  });

  it('a schedule of one’s own that returns a bad rate is refused before the update', async () => {
    class Bad extends LearningRateSchedule {
      readonly className = 'Bad';
      call(step: number): number {
        return step === 0 ? 0.1 : -1;
      }
      getConfig() {
        return {};
      }
    }
    const m = unit(optimizers.SGD({ learningRate: new Bad() }));
    const x = tensor([[1]]);
    const y = tensor([[0]]);
    await m.trainOnBatch(x, y); // rate 0.1: w = 0.8
    // The second update's rate is -1: refused before anything changes.
    await expect(m.trainOnBatch(x, y)).rejects.toThrow(
      /SGD: the learning-rate schedule Bad gave -1 at step 1; expected a finite number >= 0/,
    );
    expect(weight(m)).toBeCloseTo(0.8, 6);
    expect(m.optimizer!.stepCount).toBe(1);
    expect(m.parameters()[0].grad).toBeNull();
    x.dispose();
    y.dispose();
    m.optimizer?.dispose();
    m.dispose();
  });
});

it('the README’s AdamW: warm-up to 6e-4 over 100 updates, cosine to 6e-5 over 900, global clipping at 1', () => {
  const optimizer = optimizers.AdamW({
    learningRate: optimizers.schedules.CosineDecay({
      initialLearningRate: 0,
      warmupTarget: 6e-4,
      warmupSteps: 100,
      decaySteps: 900,
      alpha: 0.1,
    }),
    weightDecay: 0.1,
    globalClipnorm: 1,
  });
  expect([0, 50, 100, 550, 1000].map((t) => optimizer.learningRateAt(t))).toEqual([
    0,
    3e-4,
    6e-4,
    expect.closeTo(6e-4 * 0.55, 15),
    expect.closeTo(6e-5, 15),
  ]);
  expect(optimizer.clipping.globalClipnorm).toBe(1);
  expect(optimizer.config.weightDecay).toBe(0.1);
});

describe('gradient clipping options of Keras optimizers', () => {
  /** Two parameters with gradients [3, 4] and [12] (global norm 13), stepped once by SGD(lr 1) made from `spec`. */
  function stepWith(spec: ReturnType<typeof optimizers.SGD>, g1: number[] = [3, 4], g2: number[] = [12]): number[][] {
    const a = tensor([0, 0]).keep();
    const b = tensor([0]).keep();
    a.requiresGrad = true;
    b.requiresGrad = true;
    const opt = spec.create([a, b]);
    a.grad = tensor(g1).keep();
    b.grad = tensor(g2).keep();
    const before = memory().numTensors;
    opt.step();
    expect(memory().numTensors, 'clipping leaves no tensor behind').toBe(before);
    const out = [Array.from(a.dataSync()), Array.from(b.dataSync())];
    opt.zeroGrad();
    opt.dispose();
    a.dispose();
    b.dispose();
    return out;
  }

  const close = (got: number[][], want: number[][]) =>
    got.flat().forEach((v, i) => expect(v).toBeCloseTo(want.flat()[i], 6));

  it('globalClipnorm scales all gradients by c / ‖G‖ when ‖G‖ > c', () => {
    close(stepWith(optimizers.SGD({ learningRate: 1, globalClipnorm: 1 })), [[-3 / 13, -4 / 13], [-12 / 13]]);
    close(stepWith(optimizers.SGD({ learningRate: 1, global_clipnorm: 100 } as never)), [[-3, -4], [-12]]);
    // Keras makes every gradient NaN when the global norm is not finite.
    const nan = stepWith(optimizers.SGD({ learningRate: 1, globalClipnorm: 1 }), [Infinity, 1], [2]);
    expect(nan.flat().every(Number.isNaN)).toBe(true);
  });

  it('clipnorm rescales each gradient on its own; clipvalue clamps elements', () => {
    // ‖[3, 4]‖ = 5 is within 5; ‖[12]‖ = 12 becomes 5.
    close(stepWith(optimizers.SGD({ learningRate: 1, clipnorm: 5 })), [[-3, -4], [-5]]);
    close(stepWith(optimizers.SGD({ learningRate: 1, clipvalue: 3.5 })), [[-3, -3.5], [-3.5]]);
    // 0 is off, as in Keras.
    close(stepWith(optimizers.SGD({ learningRate: 1, clipvalue: 0 })), [[-3, -4], [-12]]);
  });

  it('is saved when set, with the schedule, and checked', () => {
    const spec = optimizers.AdamW({
      learningRate: schedules.CosineDecay({ initialLearningRate: 1e-3, decaySteps: 10 }),
      globalClipnorm: 1,
    });
    expect(spec.clipping).toEqual({ clipnorm: null, clipvalue: null, globalClipnorm: 1 });
    const config = spec.getConfig();
    expect(config.globalClipnorm).toBe(1);
    expect('clipnorm' in config).toBe(false);
    expect(optimizers.SGD({}).getConfig()).toEqual({ learningRate: 0.01, momentum: 0, nesterov: false });
    expect(() => optimizers.SGD({ clipnorm: 1, clipvalue: 0.5 })).toThrow(
      /SGD: only one of clipnorm, clipvalue and globalClipnorm can be set, got clipnorm=1, clipvalue=0.5/,
    );
    expect(() => optimizers.SGD({ clipnorm: -1 })).toThrow(
      /SGD: clipnorm must be a finite number >= 0 \(or null\), got -1/,
    );
    expect(() => optimizers.SGD({ clipNorm: 1 } as never)).toThrow(
      /SGD: unknown option 'clipNorm'; did you mean 'clipnorm'\? \(known: learningRate, momentum, nesterov, clipnorm, clipvalue, globalClipnorm\)/,
    );
  });
});
