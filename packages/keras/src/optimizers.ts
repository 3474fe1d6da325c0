import { ArgumentError, type Tensor } from '@tsdl/tensor';
import { Adagrad, Adam, AdamW, type Optimizer, RMSprop, SGD } from '@tsdl/optim';
import { camelCaseKeys } from './config-keys';
import { lookupName, nameTable, quote } from './names';

/**
 * Keras optimizers: a description (class name and config with Keras'
 * defaults) that makes an @tsdl/optim optimizer once the model's weights exist.
 */
export abstract class KerasOptimizer {
  abstract readonly className: string;
  constructor(readonly config: Record<string, number | boolean>) {}
  abstract create(params: Tensor[]): Optimizer<any>;
  getConfig(): Record<string, number | boolean> {
    return { ...this.config };
  }
}

type Cfg = Record<string, number | boolean | undefined | null>;

/**
 * `defaults` overridden by the options in `c`: an option that is not in `defaults` or whose
 * type differs from its default's is an ArgumentError naming the optimizer (a misspelt
 * `learningRat` or a string learning rate would otherwise train with the default).
 * undefined and null (JSON's missing value) leave the default. Ranges are checked by
 * @tsdl/optim when the optimizer is made.
 */
function options<D extends Record<string, number | boolean>>(owner: string, c: Cfg, defaults: D): D {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new ArgumentError(`${owner}: the config must be an object, got ${quote(c)}`);
  const out: Record<string, number | boolean> = { ...defaults };
  for (const [k, v] of Object.entries(c)) {
    if (!Object.hasOwn(defaults, k)) throw new ArgumentError(`${owner}: unknown option '${k}' (known: ${Object.keys(defaults).join(', ')})`);
    if (v === undefined || v === null) continue;
    const want = typeof defaults[k];
    if (typeof v !== want || (typeof v === 'number' && !Number.isFinite(v))) {
      throw new ArgumentError(`${owner}: ${k} must be ${want === 'number' ? 'a finite number' : 'a boolean'}, got ${quote(v)}`);
    }
    out[k] = v;
  }
  return out as D;
}

export class AdamOptimizer extends KerasOptimizer {
  readonly className = 'Adam';
  constructor(c: Cfg = {}) {
    super(options('Adam', c, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false }));
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return new Adam(params, { lr: c.learningRate as number, betas: [c.beta1 as number, c.beta2 as number], eps: c.epsilon as number, amsgrad: c.amsgrad as boolean });
  }
}

export class AdamWOptimizer extends KerasOptimizer {
  readonly className = 'AdamW';
  constructor(c: Cfg = {}) {
    super(options('AdamW', c, { learningRate: 1e-3, weightDecay: 0.004, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }));
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return new AdamW(params, { lr: c.learningRate as number, weightDecay: c.weightDecay as number, betas: [c.beta1 as number, c.beta2 as number], eps: c.epsilon as number });
  }
}

export class SGDOptimizer extends KerasOptimizer {
  readonly className = 'SGD';
  constructor(c: Cfg = {}) {
    super(options('SGD', c, { learningRate: 0.01, momentum: 0, nesterov: false }));
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return new SGD(params, { lr: c.learningRate as number, momentum: c.momentum as number, nesterov: c.nesterov as boolean });
  }
}

export class RMSpropOptimizer extends KerasOptimizer {
  readonly className = 'RMSprop';
  constructor(c: Cfg = {}) {
    super(options('RMSprop', c, { learningRate: 1e-3, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false }));
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return new RMSprop(params, { lr: c.learningRate as number, alpha: c.rho as number, momentum: c.momentum as number, eps: c.epsilon as number, centered: c.centered as boolean });
  }
}

export class AdagradOptimizer extends KerasOptimizer {
  readonly className = 'Adagrad';
  constructor(c: Cfg = {}) {
    super(options('Adagrad', c, { learningRate: 1e-3, initialAccumulatorValue: 0.1, epsilon: 1e-7 }));
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return new Adagrad(params, { lr: c.learningRate as number, initialAccumulatorValue: c.initialAccumulatorValue as number, eps: c.epsilon as number });
  }
}

const BY_NAME = nameTable<new (c?: Cfg) => KerasOptimizer>({
  adam: AdamOptimizer,
  adamw: AdamWOptimizer,
  sgd: SGDOptimizer,
  rmsprop: RMSpropOptimizer,
  adagrad: AdagradOptimizer,
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

/** Keras-style constructors: `optimizers.Adam({ learningRate: 1e-3 })` (Keras' `learning_rate`, `beta_1` … work too). */
export const optimizers = {
  Adam: (c: Cfg = {}) => new AdamOptimizer(camelCaseKeys(c, 'Adam')),
  AdamW: (c: Cfg = {}) => new AdamWOptimizer(camelCaseKeys(c, 'AdamW')),
  SGD: (c: Cfg = {}) => new SGDOptimizer(camelCaseKeys(c, 'SGD')),
  RMSprop: (c: Cfg = {}) => new RMSpropOptimizer(camelCaseKeys(c, 'RMSprop')),
  Adagrad: (c: Cfg = {}) => new AdagradOptimizer(camelCaseKeys(c, 'Adagrad')),
};
