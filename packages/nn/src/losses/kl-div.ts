import { ArgumentError, type Tensor, tidy, where } from '@tsdl/tensor';
import { Module } from '../module';
import { checkOptionNames } from '../layers/recurrent/options';
import { sameShapeTarget } from './reduction';

/** KL divergence's reductions: PyTorch's, plus 'batchmean' (the sum over the batch size, the mathematically right mean). */
export type KLDivReduction = 'mean' | 'batchmean' | 'sum' | 'none';

export interface KLDivOptions {
  /** 'mean' (default, as PyTorch: the mean over every element), 'batchmean', 'sum' or 'none'. */
  reduction?: KLDivReduction;
  /** The target holds log-probabilities rather than probabilities (default false). */
  logTarget?: boolean;
}

const KNOWN = ['reduction', 'logTarget'] as const;

function checkOptions(owner: string, options: KLDivOptions): { reduction: KLDivReduction; logTarget: boolean } {
  checkOptionNames(owner, options, KNOWN);
  const r = options.reduction ?? 'mean';
  if (r !== 'mean' && r !== 'batchmean' && r !== 'sum' && r !== 'none') {
    throw new ArgumentError(
      `${owner}: reduction must be 'mean', 'batchmean', 'sum' or 'none', got ${JSON.stringify(options.reduction)}`,
    );
  }
  const logTarget = options.logTarget ?? false;
  if (typeof logTarget !== 'boolean')
    throw new ArgumentError(`${owner}: logTarget must be a boolean, got ${String(logTarget)}`);
  return { reduction: r, logTarget };
}

/**
 * Kullback-Leibler divergence with PyTorch's conventions (F.kl_div): `input`
 * is log-probabilities, `target` probabilities (log-probabilities with
 * `logTarget`), and each element is target·(log target − input), 0 where the
 * target is 0 (exp(t)·(t − input) with logTarget). Shapes must match.
 */
export function klDiv(input: Tensor, target: Tensor, options: KLDivOptions = {}): Tensor {
  const { reduction, logTarget } = checkOptions('klDiv', options);
  return tidy(() => {
    const t = sameShapeTarget('klDiv', input, target);
    let pointwise: Tensor;
    if (logTarget) {
      pointwise = t.exp().mul(t.sub(input));
    } else {
      // xlogy(t, t): the log of a stand-in 1 where t = 0, so neither the value nor the
      // gradient there sees log(0) (a NaN would leak through the product).
      const zero = t.eq(0);
      pointwise = where(zero, 0, t.mul(where(zero, 1, t).log())).sub(t.mul(input));
    }
    if (reduction === 'none') return pointwise;
    if (reduction === 'mean') return pointwise.mean();
    const s = pointwise.sum();
    return reduction === 'batchmean' && input.rank > 0 ? s.div(input.shape[0]) : s;
  });
}

/** KL divergence as a module: `forward(input, target)` (PyTorch's nn.KLDivLoss). */
export class KLDivLoss extends Module {
  readonly reduction: KLDivReduction;
  readonly logTarget: boolean;

  constructor(options: KLDivOptions = {}) {
    super();
    const o = checkOptions('KLDivLoss', options);
    this.reduction = o.reduction;
    this.logTarget = o.logTarget;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}', logTarget=${this.logTarget}`;
  }
}
