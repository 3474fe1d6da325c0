import { ArgumentError, type Tensor } from '@tsdl/tensor';
import { activeTrace } from '@tsdl/tensor/internal';
import { Adadelta, Adagrad, Adam, AdamW, NAdam, type Optimizer, RMSprop, SGD } from '@tsdl/optim';
import { camelCaseKeys, rejectUnknownOptions } from './config-keys';
import { KerasAdamax } from './keras-adamax';
import {
  CLIP_OPTIONS,
  type GradientClipping,
  NO_CLIPPING,
  checkOneClipping,
  clipGradients,
  clipOption,
  clips,
} from './gradient-clipping';
import { lookupName, nameTable, quote } from './names';
import {
  LearningRateSchedule,
  type SerializedSchedule,
  deserializeSchedule,
  schedules,
  serializeSchedule,
} from './schedules/index';

/** An optimizer option's value: learningRate may be a schedule. */
export type OptimizerConfig = Record<string, number | boolean | LearningRateSchedule>;

/**
 * Keras optimizers: a description (class name and config with Keras'
 * defaults) that makes an @tsdl/optim optimizer once the model's weights exist.
 * `learningRate` is a number or a LearningRateSchedule, evaluated before every
 * update at the optimizer's step count (Keras' iterations); clipnorm,
 * clipvalue or globalClipnorm clip the gradients before the update.
 */
export abstract class KerasOptimizer {
  abstract readonly className: string;
  constructor(
    readonly config: OptimizerConfig,
    readonly clipping: Readonly<GradientClipping> = NO_CLIPPING,
  ) {}
  abstract create(params: Tensor[]): Optimizer<any>;

  /** The schedule given as learningRate, or null. */
  get schedule(): LearningRateSchedule | null {
    const lr = this.config.learningRate;
    return lr instanceof LearningRateSchedule ? lr : null;
  }

  /** The learning rate of the update after `iterations` updates (Keras' optimizer.learning_rate). */
  learningRateAt(iterations: number): number {
    const s = this.schedule;
    if (!s) return this.config.learningRate as number;
    const lr = s.call(iterations);
    // A schedule of the user's own could return anything; the update kernel must not get it.
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new ArgumentError(
        `${this.className}: the learning-rate schedule ${s.className} gave ${quote(lr)} at step ${iterations}; expected a finite number >= 0`,
      );
    }
    return lr;
  }

  /** Sets the learning rate (of `optimizer` once it exists, else of this description); a schedule's cannot be set, as in Keras. */
  setLearningRate(lr: number, optimizer: Optimizer<any> | null = null): void {
    const s = this.schedule;
    if (s) {
      throw new ArgumentError(
        `${this.className}: the learning rate is a ${s.className} schedule, so it cannot be set; give the optimizer a number as learningRate to set it (a callback such as ReduceLROnPlateau does)`,
      );
    }
    if (optimizer) optimizer.lr = lr;
    else this.config.learningRate = lr;
  }

  /**
   * The config to save: the options, the schedule serialized as `{ className, config }`
   * (or the rate of `optimizer`, which callbacks may have changed), and any clipping option set.
   */
  getConfig(optimizer: Optimizer<any> | null = null): Record<string, number | boolean | SerializedSchedule> {
    const out: Record<string, number | boolean | SerializedSchedule> = {};
    for (const [k, v] of Object.entries(this.config))
      out[k] = v instanceof LearningRateSchedule ? serializeSchedule(v) : v;
    if (optimizer && !this.schedule) out.learningRate = optimizer.lr;
    for (const k of CLIP_OPTIONS) if (this.clipping[k] !== null) out[k] = this.clipping[k] as number;
    return out;
  }

  /**
   * Makes `opt` evaluate the schedule and clip gradients around each step, as
   * Keras' optimizer does inside its apply. The model calls optimizer.step(),
   * so this one optimizer's step is wrapped; without a schedule or clipping it
   * is returned as it is.
   */
  protected equip<O extends Optimizer<any>>(opt: O): O {
    const schedule = this.schedule;
    const clipping = this.clipping;
    if (!schedule && !clips(clipping)) return opt;
    const step = opt.step.bind(opt);
    const setRate = (): void => {
      if (schedule) opt.lr = this.learningRateAt(opt.stepCount);
    };
    // Between steps, lr reads as the rate of the next update (Keras' learning_rate property). A bad
    // one is left for the next step to report, so a step that happened does not look failed.
    const setNextRate = (): void => {
      try {
        setRate();
      } catch {
        // reported by the next step
      }
    };
    opt.step = (): void => {
      // stepCount is Keras' iterations: loadStateDict restores it, so a loaded model resumes the schedule.
      // A bad rate throws here, before the gradients or parameters change.
      setRate();
      // A replay of a captured step (fit) sets the rate before the optimizer's scalars are computed, and
      // after its count advanced (HostSteps commit last first).
      if (schedule) activeTrace()?.hostStep({ prepare: () => (setRate(), null), commit: setNextRate, rollback() {} });
      if (clips(clipping))
        clipGradients(
          opt.params.flatMap((p) => (p.grad ? [p.grad] : [])),
          clipping,
        );
      step();
      setNextRate();
    };
    return opt;
  }
}

type Cfg = Record<string, number | boolean | undefined | null | LearningRateSchedule | SerializedSchedule>;

/**
 * `defaults` overridden by the options in `c`: an option that is not in `defaults` or whose
 * type differs from its default's is an ArgumentError naming the optimizer (a misspelt
 * `learningRat` or a string learning rate would otherwise train with the default).
 * undefined and null (JSON's missing value) leave the default. learningRate may also be a
 * schedule (or its serialized form); clipnorm, clipvalue and globalClipnorm are kept apart.
 * Ranges are checked by @tsdl/optim when the optimizer is made.
 */
function options<D extends Record<string, number | boolean>>(
  owner: string,
  config: Cfg,
  defaults: D,
): [OptimizerConfig, GradientClipping] {
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new ArgumentError(`${owner}: the config must be an object, got ${quote(config)}`);
  // Keras' learning_rate, beta_1, global_clipnorm … are the same options.
  const c = camelCaseKeys(config, owner);
  rejectUnknownOptions(owner, c, [...Object.keys(defaults), ...CLIP_OPTIONS]);
  const out: OptimizerConfig = { ...defaults };
  const clipping: GradientClipping = { ...NO_CLIPPING };
  for (const [k, v] of Object.entries(c)) {
    if ((CLIP_OPTIONS as readonly string[]).includes(k)) {
      clipping[k as keyof GradientClipping] = clipOption(owner, k, v);
      continue;
    }
    if (v === undefined || v === null) continue;
    if (k === 'learningRate' && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = deserializeSchedule(v, `${owner}: learningRate`);
      continue;
    }
    const want = typeof defaults[k];
    if (typeof v !== want || (typeof v === 'number' && !Number.isFinite(v))) {
      const schedule = k === 'learningRate' ? ' (or a learning-rate schedule)' : '';
      throw new ArgumentError(
        `${owner}: ${k} must be ${want === 'number' ? 'a finite number' : 'a boolean'}, got ${quote(v)}${schedule}`,
      );
    }
    out[k] = v as number | boolean;
  }
  checkOneClipping(owner, clipping);
  return [out, clipping];
}

export class AdamOptimizer extends KerasOptimizer {
  readonly className = 'Adam';
  constructor(c: Cfg = {}) {
    super(...options('Adam', c, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false }));
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return this.equip(
      new Adam(params, {
        lr: this.learningRateAt(0),
        betas: [c.beta1 as number, c.beta2 as number],
        eps: c.epsilon as number,
        amsgrad: c.amsgrad as boolean,
      }),
    );
  }
}

export class AdamWOptimizer extends KerasOptimizer {
  readonly className = 'AdamW';
  constructor(c: Cfg = {}) {
    super(...options('AdamW', c, { learningRate: 1e-3, weightDecay: 0.004, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }));
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return this.equip(
      new AdamW(params, {
        lr: this.learningRateAt(0),
        weightDecay: c.weightDecay as number,
        betas: [c.beta1 as number, c.beta2 as number],
        eps: c.epsilon as number,
      }),
    );
  }
}

export class SGDOptimizer extends KerasOptimizer {
  readonly className = 'SGD';
  constructor(c: Cfg = {}) {
    super(...options('SGD', c, { learningRate: 0.01, momentum: 0, nesterov: false }));
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return this.equip(
      new SGD(params, { lr: this.learningRateAt(0), momentum: c.momentum as number, nesterov: c.nesterov as boolean }),
    );
  }
}

export class RMSpropOptimizer extends KerasOptimizer {
  readonly className = 'RMSprop';
  constructor(c: Cfg = {}) {
    super(...options('RMSprop', c, { learningRate: 1e-3, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false }));
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return this.equip(
      new RMSprop(params, {
        lr: this.learningRateAt(0),
        alpha: c.rho as number,
        momentum: c.momentum as number,
        eps: c.epsilon as number,
        centered: c.centered as boolean,
      }),
    );
  }
}

export class AdagradOptimizer extends KerasOptimizer {
  readonly className = 'Adagrad';
  constructor(c: Cfg = {}) {
    super(...options('Adagrad', c, { learningRate: 1e-3, initialAccumulatorValue: 0.1, epsilon: 1e-7 }));
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return this.equip(
      new Adagrad(params, {
        lr: this.learningRateAt(0),
        initialAccumulatorValue: c.initialAccumulatorValue as number,
        eps: c.epsilon as number,
      }),
    );
  }
}

/**
 * Keras' Nadam is @tsdl/optim's NAdam (PyTorch's) with momentum decay ψ = 1:
 * Keras' μ_t = β1·(1 − ½·0.96^t) is PyTorch's β1·(1 − ½·0.96^(t·ψ)), and the
 * rest of the update (the running product of the μ's, the two Nesterov terms
 * over √v̂ + ε) is the same.
 */
export class NadamOptimizer extends KerasOptimizer {
  readonly className = 'Nadam';
  constructor(c: Cfg = {}) {
    super(...options('Nadam', c, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }));
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return this.equip(
      new NAdam(params, {
        lr: this.learningRateAt(0),
        betas: [c.beta1 as number, c.beta2 as number],
        eps: c.epsilon as number,
        momentumDecay: 1,
      }),
    );
  }
}

/** Keras' Adamax, whose ε differs from PyTorch's: its own update (keras-adamax.ts). */
export class AdamaxOptimizer extends KerasOptimizer {
  readonly className = 'Adamax';
  constructor(c: Cfg = {}) {
    super(...options('Adamax', c, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }));
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return this.equip(
      new KerasAdamax(params, {
        lr: this.learningRateAt(0),
        beta1: c.beta1 as number,
        beta2: c.beta2 as number,
        epsilon: c.epsilon as number,
      }),
    );
  }
}

/** Keras' Adadelta is PyTorch's (ε inside both square roots), with Keras' defaults. */
export class AdadeltaOptimizer extends KerasOptimizer {
  readonly className = 'Adadelta';
  constructor(c: Cfg = {}) {
    super(...options('Adadelta', c, { learningRate: 1e-3, rho: 0.95, epsilon: 1e-7 }));
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return this.equip(
      new Adadelta(params, { lr: this.learningRateAt(0), rho: c.rho as number, eps: c.epsilon as number }),
    );
  }
}

const BY_NAME = nameTable<new (c?: Cfg) => KerasOptimizer>({
  adam: AdamOptimizer,
  adamw: AdamWOptimizer,
  sgd: SGDOptimizer,
  rmsprop: RMSpropOptimizer,
  adagrad: AdagradOptimizer,
  nadam: NadamOptimizer,
  adamax: AdamaxOptimizer,
  adadelta: AdadeltaOptimizer,
});

/** 'adam' | { className, config } | a KerasOptimizer → a KerasOptimizer. */
export function resolveOptimizer(spec: string | KerasOptimizer | { className: string; config?: Cfg }): KerasOptimizer {
  if (spec instanceof KerasOptimizer) return spec;
  const described = spec !== null && typeof spec === 'object';
  const { value: Ctor } = lookupName('compile', 'optimizer', described ? spec.className : spec, BY_NAME, {
    normalize: (s) => s.toLowerCase(),
    show: (v) => JSON.stringify(v),
    option: described ? 'optimizer.className' : undefined,
  });
  if (!described) return new Ctor({});
  const config = spec.config ?? {};
  return new Ctor(camelCaseKeys(config, `compile: optimizer ${spec.className}`));
}

/**
 * Keras-style constructors: `optimizers.Adam({ learningRate: 1e-3 })` (Keras' `learning_rate`, `beta_1` … work too),
 * `optimizers.AdamW({ learningRate: optimizers.schedules.CosineDecay({ … }), globalClipnorm: 1 })`.
 */
export const optimizers = {
  Adam: (c: Cfg = {}) => new AdamOptimizer(camelCaseKeys(c, 'Adam')),
  AdamW: (c: Cfg = {}) => new AdamWOptimizer(camelCaseKeys(c, 'AdamW')),
  SGD: (c: Cfg = {}) => new SGDOptimizer(camelCaseKeys(c, 'SGD')),
  RMSprop: (c: Cfg = {}) => new RMSpropOptimizer(camelCaseKeys(c, 'RMSprop')),
  Adagrad: (c: Cfg = {}) => new AdagradOptimizer(camelCaseKeys(c, 'Adagrad')),
  Nadam: (c: Cfg = {}) => new NadamOptimizer(camelCaseKeys(c, 'Nadam')),
  Adamax: (c: Cfg = {}) => new AdamaxOptimizer(camelCaseKeys(c, 'Adamax')),
  Adadelta: (c: Cfg = {}) => new AdadeltaOptimizer(camelCaseKeys(c, 'Adadelta')),
  /** keras.optimizers.schedules: learning-rate schedules to pass as learningRate. */
  schedules,
};
