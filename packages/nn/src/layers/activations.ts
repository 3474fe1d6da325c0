import {
  ArgumentError,
  type Tensor,
  elu,
  gelu,
  leakyRelu,
  logSoftmax,
  relu,
  sigmoid,
  softmax,
  softplus,
  tanh,
  tidy,
} from '@tsdl/tensor';
import { Module } from '../module';

/** max(x, 0). */
export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** x where x > 0, else negativeSlope·x (default slope 0.01, as PyTorch; Keras' is 0.3). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** x where x > 0, else alpha·(exp(x) − 1) (alpha 1). */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export interface GELUOptions {
  /** 'none' (exact, the default) or 'tanh' (the tanh approximation). */
  approximate?: 'none' | 'tanh';
}

/**
 * x·Φ(x): exact ('none', PyTorch's default) or the tanh approximation ('tanh'; Keras' approximate=True).
 * `new GELU({ approximate: 'tanh' })` as PyTorch's nn.GELU(approximate='tanh'), or `new GELU('tanh')`.
 */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  constructor(approximateOrOptions: 'none' | 'tanh' | GELUOptions = 'none') {
    super();
    let approximate: unknown = approximateOrOptions;
    if (typeof approximateOrOptions === 'object' && approximateOrOptions !== null) {
      for (const k of Object.keys(approximateOrOptions)) {
        if (k !== 'approximate') throw new ArgumentError(`GELU: unknown option '${k}' (known: approximate)`);
      }
      approximate = approximateOrOptions.approximate ?? 'none';
    }
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new ArgumentError(`GELU: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
    }
    this.approximate = approximate;
  }

  override forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** x·sigmoid(x) (swish). */
export class SiLU extends Module {
  override forward(x: Tensor): Tensor {
    return tidy(() => x.mul(sigmoid(x)));
  }
}

/** log(1 + exp(beta·x)) / beta, computed stably (beta 1). */
export class Softplus extends Module {
  constructor(readonly beta = 1) {
    super();
    if (!(beta > 0)) throw new ArgumentError(`Softplus: beta must be > 0, got ${beta}`);
  }

  override forward(x: Tensor): Tensor {
    if (this.beta === 1) return softplus(x);
    return tidy(() => softplus(x.mul(this.beta)).div(this.beta));
  }

  override extraRepr(): string {
    return `beta=${this.beta}`;
  }
}

/** Softmax along `dim` (default −1, the last axis). */
export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** log(softmax(x)) along `dim` (default −1), computed without forming softmax. */
export class LogSoftmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
