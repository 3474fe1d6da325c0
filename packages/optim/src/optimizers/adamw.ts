import { AdamBase, type AdamHyper, type AdamOptions } from './adam';
import type { ParamsInput } from '../types';

/**
 * AdamW (Loshchilov & Hutter, 2019), as torch.optim.AdamW: Adam with weight
 * decay decoupled from the gradient (default λ = 0.01):
 *
 *     θ ← θ·(1 − lr·λ)
 *     then the Adam update of θ with the raw gradient g (−g with maximize)
 */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;

  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    super(
      'AdamW',
      params,
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false },
      options,
    );
  }
}
