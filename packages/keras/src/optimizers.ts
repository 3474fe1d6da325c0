import { ArgumentError, type Tensor } from '@tsdl/tensor';
import { Adagrad, Adam, AdamW, type Optimizer, RMSprop, SGD } from '@tsdl/optim';
import { camelCaseKeys } from './config-keys';

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

type Cfg = Record<string, number | boolean | undefined>;
const num = (c: Cfg, k: string, d: number): number => (typeof c[k] === 'number' ? (c[k] as number) : d);

export class AdamOptimizer extends KerasOptimizer {
  readonly className = 'Adam';
  constructor(c: Cfg = {}) {
    super({ learningRate: num(c, 'learningRate', 1e-3), beta1: num(c, 'beta1', 0.9), beta2: num(c, 'beta2', 0.999), epsilon: num(c, 'epsilon', 1e-7), amsgrad: c.amsgrad === true });
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return new Adam(params, { lr: c.learningRate as number, betas: [c.beta1 as number, c.beta2 as number], eps: c.epsilon as number, amsgrad: c.amsgrad as boolean });
  }
}

export class AdamWOptimizer extends KerasOptimizer {
  readonly className = 'AdamW';
  constructor(c: Cfg = {}) {
    super({ learningRate: num(c, 'learningRate', 1e-3), weightDecay: num(c, 'weightDecay', 0.004), beta1: num(c, 'beta1', 0.9), beta2: num(c, 'beta2', 0.999), epsilon: num(c, 'epsilon', 1e-7) });
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return new AdamW(params, { lr: c.learningRate as number, weightDecay: c.weightDecay as number, betas: [c.beta1 as number, c.beta2 as number], eps: c.epsilon as number });
  }
}

export class SGDOptimizer extends KerasOptimizer {
  readonly className = 'SGD';
  constructor(c: Cfg = {}) {
    super({ learningRate: num(c, 'learningRate', 0.01), momentum: num(c, 'momentum', 0), nesterov: c.nesterov === true });
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return new SGD(params, { lr: c.learningRate as number, momentum: c.momentum as number, nesterov: c.nesterov as boolean });
  }
}

export class RMSpropOptimizer extends KerasOptimizer {
  readonly className = 'RMSprop';
  constructor(c: Cfg = {}) {
    super({ learningRate: num(c, 'learningRate', 1e-3), rho: num(c, 'rho', 0.9), momentum: num(c, 'momentum', 0), epsilon: num(c, 'epsilon', 1e-7), centered: c.centered === true });
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return new RMSprop(params, { lr: c.learningRate as number, alpha: c.rho as number, momentum: c.momentum as number, eps: c.epsilon as number, centered: c.centered as boolean });
  }
}

export class AdagradOptimizer extends KerasOptimizer {
  readonly className = 'Adagrad';
  constructor(c: Cfg = {}) {
    super({ learningRate: num(c, 'learningRate', 1e-3), initialAccumulatorValue: num(c, 'initialAccumulatorValue', 0.1), epsilon: num(c, 'epsilon', 1e-7) });
  }
  create(params: Tensor[]): Optimizer<any> {
    const c = this.config;
    return new Adagrad(params, { lr: c.learningRate as number, initialAccumulatorValue: c.initialAccumulatorValue as number, eps: c.epsilon as number });
  }
}

const BY_NAME: Record<string, new (c?: Cfg) => KerasOptimizer> = {
  adam: AdamOptimizer,
  adamw: AdamWOptimizer,
  sgd: SGDOptimizer,
  rmsprop: RMSpropOptimizer,
  adagrad: AdagradOptimizer,
};

/** 'adam' | { className, config } | a KerasOptimizer → a KerasOptimizer. */
export function resolveOptimizer(spec: string | KerasOptimizer | { className: string; config?: Cfg }): KerasOptimizer {
  if (spec instanceof KerasOptimizer) return spec;
  const name = typeof spec === 'string' ? spec : spec?.className;
  const Ctor = typeof name === 'string' ? BY_NAME[name.toLowerCase()] : undefined;
  if (!Ctor) throw new ArgumentError(`compile: unknown optimizer ${JSON.stringify(name)} (known: ${Object.keys(BY_NAME).join(', ')})`);
  return new Ctor(typeof spec === 'string' ? {} : camelCaseKeys(spec.config ?? {}));
}

/** Keras-style constructors: `optimizers.Adam({ learningRate: 1e-3 })` (Keras' `learning_rate`, `beta_1` … work too). */
export const optimizers = {
  Adam: (c: Cfg = {}) => new AdamOptimizer(camelCaseKeys(c)),
  AdamW: (c: Cfg = {}) => new AdamWOptimizer(camelCaseKeys(c)),
  SGD: (c: Cfg = {}) => new SGDOptimizer(camelCaseKeys(c)),
  RMSprop: (c: Cfg = {}) => new RMSpropOptimizer(camelCaseKeys(c)),
  Adagrad: (c: Cfg = {}) => new AdagradOptimizer(camelCaseKeys(c)),
};
