import type { Tensor } from '@tsdl/tensor';
import { Module } from '../module';
import { type BCEOptions, type BCEWithLogitsOptions, binaryCrossEntropy, binaryCrossEntropyWithLogits } from './binary';
import { type CrossEntropyOptions, type NLLOptions, crossEntropy, nllLoss } from './classification';
import { type Reduction, type ReductionOptions, checkReduction } from './reduction';
import { type HuberOptions, type SmoothL1Options, huberLoss, l1Loss, mseLoss, smoothL1Loss } from './regression';

/** A loss as a module: `forward(input, target)`. Weight tensors are copied into buffers (so they appear in stateDict). */
export abstract class Loss extends Module {
  readonly reduction: Reduction;

  constructor(options: ReductionOptions = {}) {
    super();
    this.reduction = checkReduction(this.constructor.name, options.reduction);
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor;

  /** Registers a copy of an optional tensor option as a buffer. */
  protected optionalBuffer(name: string, t: Tensor | null | undefined): Tensor | null {
    return t ? this.registerBuffer(name, t.clone()) : null;
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

export class MSELoss extends Loss {
  override forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  override forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(options: HuberOptions = {}) {
    super(options);
    this.delta = options.delta ?? 1;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(options: SmoothL1Options = {}) {
    super(options);
    this.beta = options.beta ?? 1;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

export class BCELoss extends Loss {
  readonly weight: Tensor | null;
  constructor(options: BCEOptions = {}) {
    super(options);
    this.weight = this.optionalBuffer('weight', options.weight);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight });
  }
}

export class BCEWithLogitsLoss extends Loss {
  readonly weight: Tensor | null;
  readonly posWeight: Tensor | null;
  constructor(options: BCEWithLogitsOptions = {}) {
    super(options);
    this.weight = this.optionalBuffer('weight', options.weight);
    this.posWeight = this.optionalBuffer('pos_weight', options.posWeight);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      reduction: this.reduction,
      weight: this.weight,
      posWeight: this.posWeight,
    });
  }
}

export class NLLLoss extends Loss {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  constructor(options: NLLOptions = {}) {
    super(options);
    this.weight = this.optionalBuffer('weight', options.weight);
    this.ignoreIndex = options.ignoreIndex ?? -100;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex });
  }
}

export class CrossEntropyLoss extends Loss {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: CrossEntropyOptions = {}) {
    super(options);
    this.weight = this.optionalBuffer('weight', options.weight);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      reduction: this.reduction,
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
    });
  }
}
