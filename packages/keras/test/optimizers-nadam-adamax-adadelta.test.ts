import { join } from 'node:path';
import { ArgumentError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Dense, type KerasOptimizer, Sequential, loadModel, optimizers } from '../src/index';
import { blobs, useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

/**
 * Keras' Nadam, Adamax and Adadelta against float64 transcriptions of Keras 3's
 * update_step (keras/src/optimizers/{nadam,adamax,adadelta}.py), over 25 steps
 * of a fixed gradient sequence.
 */

const STEPS = 25;
const INIT = [1.0, -2.0, 0.5, 0.0];
/** Gradients that change size and sign; float32 values, as the optimizer reads them. */
const GRADS = Array.from({ length: STEPS }, (_, k) =>
  INIT.map((_, i) =>
    Math.fround((k < 3 ? 2 : k < 12 ? 0.5 : 0.05) * Math.sin(1.3 * k + 0.7 * i) + (i === 3 && k % 5 === 0 ? 0 : 0.01)),
  ),
);

type Update = (theta: number[], g: number[], t: number) => void;

/**
 * Keras' Nadam: u_product is one variable for the optimizer, multiplied by
 * u_t = β1·(1 − ½·0.96^t) before the step updates the variables.
 */
function kerasNadam(lr: number, b1: number, b2: number, eps: number): Update {
  const m = INIT.map(() => 0);
  const v = INIT.map(() => 0);
  let uProduct = 1;
  return (theta, g, t) => {
    const uT = b1 * (1 - 0.5 * 0.96 ** t);
    const uT1 = b1 * (1 - 0.5 * 0.96 ** (t + 1));
    uProduct *= uT;
    const uProduct1 = uProduct * uT1;
    const b2Power = b2 ** t;
    for (let i = 0; i < theta.length; i++) {
      m[i] += (g[i] - m[i]) * (1 - b1);
      v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
      const mHat = (uT1 * m[i]) / (1 - uProduct1) + ((1 - uT) * g[i]) / (1 - uProduct);
      const vHat = v[i] / (1 - b2Power);
      theta[i] -= (mHat * lr) / (Math.sqrt(vHat) + eps);
    }
  };
}

/** Keras' Adamax: ε is added to the norm in the denominator (PyTorch puts it inside the maximum). */
function kerasAdamax(lr: number, b1: number, b2: number, eps: number): Update {
  const m = INIT.map(() => 0);
  const u = INIT.map(() => 0);
  return (theta, g, t) => {
    const b1Power = b1 ** t;
    for (let i = 0; i < theta.length; i++) {
      m[i] += (g[i] - m[i]) * (1 - b1);
      u[i] = Math.max(b2 * u[i], Math.abs(g[i]));
      theta[i] -= (lr * m[i]) / ((1 - b1Power) * (u[i] + eps));
    }
  };
}

/** Keras' Adadelta: rms(x) = √(x + ε). */
function kerasAdadelta(lr: number, rho: number, eps: number): Update {
  const acc = INIT.map(() => 0);
  const accDelta = INIT.map(() => 0);
  const rms = (x: number) => Math.sqrt(x + eps);
  return (theta, g) => {
    for (let i = 0; i < theta.length; i++) {
      acc[i] = rho * acc[i] + (1 - rho) * g[i] * g[i];
      const delta = -(rms(accDelta[i]) * g[i]) / rms(acc[i]);
      accDelta[i] = rho * accDelta[i] + (1 - rho) * delta * delta;
      theta[i] += lr * delta;
    }
  };
}

function reference(update: Update, init = INIT): number[][] {
  const theta = [...init];
  return GRADS.map((g, k) => {
    update(theta, g, k + 1);
    return [...theta];
  });
}

/** The Keras optimizer's @tsdl/optim optimizer over one parameter, run over GRADS. */
function run(spec: KerasOptimizer, init = INIT): number[][] {
  const p = tensor(init).keep();
  p.requiresGrad = true;
  const opt = spec.create([p]);
  const out = GRADS.map((g) => {
    p.grad?.dispose();
    p.grad = tensor(g).keep();
    opt.step();
    return Array.from(p.dataSync());
  });
  opt.dispose();
  p.grad?.dispose();
  p.grad = null;
  p.dispose();
  return out;
}

function expectTrajectory(got: number[][], want: number[][], atol = 2e-6, rtol = 2e-5): void {
  got.forEach((row, t) =>
    row.forEach((a, i) => {
      const e = want[t][i];
      if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e)))
        throw new Error(`step ${t + 1}, element ${i}: got ${a}, expected ${e}`);
    }),
  );
}

describe("Keras' update rules", () => {
  it.each([
    ['Nadam defaults', optimizers.Nadam(), kerasNadam(1e-3, 0.9, 0.999, 1e-7)],
    [
      'Nadam',
      optimizers.Nadam({ learning_rate: 0.05, beta_1: 0.8, beta_2: 0.9, epsilon: 1e-3 }),
      kerasNadam(0.05, 0.8, 0.9, 1e-3),
    ],
    ['Adamax defaults', optimizers.Adamax(), kerasAdamax(1e-3, 0.9, 0.999, 1e-7)],
    [
      'Adamax',
      optimizers.Adamax({ learningRate: 0.05, beta1: 0.7, beta2: 0.8, epsilon: 0.05 }),
      kerasAdamax(0.05, 0.7, 0.8, 0.05),
    ],
    ['Adadelta', optimizers.Adadelta({ learning_rate: 1.0, rho: 0.8, epsilon: 1e-4 }), kerasAdadelta(1.0, 0.8, 1e-4)],
  ] as [string, KerasOptimizer, Update][])('%s', (_name, spec, update) => {
    const before = memory().numTensors;
    const want = reference(update);
    expectTrajectory(run(spec), want);
    expect(Math.abs(want[STEPS - 1][0] - INIT[0])).toBeGreaterThan(1e-4); // it moved
    expect(memory().numTensors).toBe(before);
  });

  it('Adadelta defaults (steps of ~1e-7 at Keras’ rate 1e-3: from 0, where float32 resolves them)', () => {
    // Adadelta's step does not depend on θ, so a zero start measures the steps themselves.
    const zero = INIT.map(() => 0);
    const want = reference(kerasAdadelta(1e-3, 0.95, 1e-7), zero);
    expectTrajectory(run(optimizers.Adadelta(), zero), want, 1e-12, 1e-4);
    expect(Math.abs(want[STEPS - 1][0])).toBeGreaterThan(1e-6);
  });

  it("Keras' Adamax is not PyTorch's: the case above would fail against PyTorch's rule", () => {
    // torch.optim.Adamax: u ← max(β2·u, |g| + ε), θ ← θ − lr/(1 − β1^t) · m/u.
    const m = INIT.map(() => 0);
    const u = INIT.map(() => 0);
    const torch = reference((theta, g, t) => {
      for (let i = 0; i < theta.length; i++) {
        m[i] = 0.7 * m[i] + 0.3 * g[i];
        u[i] = Math.max(0.8 * u[i], Math.abs(g[i]) + 0.05);
        theta[i] -= (0.05 / (1 - 0.7 ** t)) * (m[i] / u[i]);
      }
    });
    const keras = reference(kerasAdamax(0.05, 0.7, 0.8, 0.05));
    expect(() => expectTrajectory(torch, keras)).toThrow(/step \d+, element \d+/);
  });

  it('has Keras defaults and configs in camelCase', () => {
    expect(optimizers.Nadam().getConfig()).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(optimizers.Adamax().getConfig()).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(optimizers.Adadelta().getConfig()).toEqual({ learningRate: 1e-3, rho: 0.95, epsilon: 1e-7 });
    expect(optimizers.Adadelta({ rho: 0.9, clipnorm: 1 }).getConfig()).toEqual({
      learningRate: 1e-3,
      rho: 0.9,
      epsilon: 1e-7,
      clipnorm: 1,
    });
  });
});

describe('options', () => {
  it.each([
    [() => optimizers.Nadam({ momentum_decay: 0.004 } as never), /Nadam: unknown option 'momentumDecay'/],
    [() => optimizers.Nadam({ beta1: 0.9, beta_3: 1 } as never), /Nadam: unknown option 'beta3'/],
    [() => optimizers.Adamax({ amsgrad: true } as never), /Adamax: unknown option 'amsgrad'/],
    [() => optimizers.Adadelta({ beta_1: 0.9 } as never), /Adadelta: unknown option 'beta1'/],
    [() => optimizers.Adadelta({ rho: '0.9' } as never), /Adadelta: rho must be a finite number, got '0.9'/],
    [
      () => optimizers.Adamax({ learning_rate: 0.1, learningRate: 0.2 }),
      /Adamax: option 'learningRate' is given twice/,
    ],
  ])('%#: rejected', (make, msg) => {
    expect(make).toThrow(ArgumentError);
    expect(make).toThrow(msg);
  });

  it('ranges are checked when the optimizer is made, naming the optimizer and the option', async () => {
    const { x, y } = blobs(8, 3);
    for (const [spec, msg] of [
      [optimizers.Adamax({ beta_1: 1.5 }), /Adamax: beta1 must be a number in \[0, 1\), got 1.5/],
      [optimizers.Adamax({ epsilon: -1 }), /Adamax: epsilon must be a finite number >= 0, got -1/],
      [optimizers.Nadam({ beta_2: 1 }), /NAdam: betas\[1\] must be a number in \[0, 1\), got 1/],
      [optimizers.Adadelta({ rho: 2 }), /Adadelta: rho must be a number in \[0, 1\], got 2/],
    ] as [KerasOptimizer, RegExp][]) {
      const m = new Sequential([new Dense({ units: 2, inputShape: [2], seed: 1 })]);
      m.compile({ optimizer: spec, loss: 'sparse_categorical_crossentropy' });
      await expect(m.trainOnBatch(x, y)).rejects.toThrow(msg);
    }
  });
});

describe('in models', () => {
  function net(): Sequential {
    return new Sequential([
      new Dense({ units: 8, activation: 'relu', inputShape: [2], seed: 1 }),
      new Dense({ units: 2, activation: 'softmax', seed: 2 }),
    ]);
  }

  it.each(['nadam', 'adamax', 'adadelta', 'Nadam', 'Adamax', 'Adadelta'])('compile by name %j trains', async (name) => {
    const { x, y } = blobs(64, 5);
    const m = net();
    // Adadelta's Keras rate (1e-3) barely moves in a few epochs; a config sets a usable one.
    const optimizer = name.toLowerCase() === 'adadelta' ? { className: name, config: { learning_rate: 1.0 } } : name;
    m.compile({ optimizer: optimizer as never, loss: 'sparse_categorical_crossentropy' });
    const first = (await m.evaluate(x, y)).loss;
    await m.fit(x, y, { epochs: 10, batchSize: 16, verbose: 0 });
    const last = (await m.evaluate(x, y)).loss;
    expect(last).toBeLessThan(first * 0.8);
    const className = { nadam: 'Nadam', adamax: 'Adamax', adadelta: 'Adadelta' }[name.toLowerCase()];
    expect(m.compileConfig()?.optimizer).toMatchObject({ className });
  });

  it.each([
    ['Nadam', () => optimizers.Nadam({ learningRate: 0.01 })],
    ['Adamax', () => optimizers.Adamax({ learningRate: 0.01, beta_2: 0.9 })],
    ['Adadelta', () => optimizers.Adadelta({ learningRate: 0.5, rho: 0.9 })],
  ] as [string, () => KerasOptimizer][])(
    '%s: the optimizer state saves and loads with the model, and training resumes exactly',
    async (name, make) => {
      const { x, y } = blobs(32, 7);
      const m = net();
      m.compile({ optimizer: make(), loss: 'sparse_categorical_crossentropy' });
      for (let i = 0; i < 3; i++) await m.trainOnBatch(x, y);
      const withState = join(tempDir(), `opt-${name}`);
      const without = join(tempDir(), `no-opt-${name}`);
      await m.save(withState, { includeOptimizer: true });
      await m.save(without);
      const resumed = await loadModel(withState);
      const restarted = await loadModel(without);
      expect(resumed.compileConfig()?.optimizer).toEqual(m.compileConfig()?.optimizer);
      for (let i = 0; i < 2; i++) {
        for (const model of [m, resumed, restarted]) await model.trainOnBatch(x, y);
      }
      const flat = (ws: Tensor[]) => ws.map((w) => Array.from(w.dataSync()));
      expect(flat(resumed.getWeights())).toEqual(flat(m.getWeights()));
      // Without its state the optimizer starts afresh and takes other steps.
      expect(flat(restarted.getWeights())).not.toEqual(flat(m.getWeights()));
      expect(resumed.optimizer?.stepCount).toBe(5);
      const sd = resumed.optimizer!.stateDict();
      expect(Object.keys(sd.state['0'].tensors)).toHaveLength(2);
      for (const e of Object.values(sd.state)) for (const t of Object.values(e.tensors)) t.dispose();
    },
  );
});
