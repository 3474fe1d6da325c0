import { gradientRule, registerGradient } from '@tsdl/autograd';
import { type Tensor, abs, sign, square, sum, tidy } from '@tsdl/tensor';
import { E, dispatch, runElementwise } from '@tsdl/tensor/backend';
import { LAYER_OPTIONS, type LayerArgs, Layer } from './layer';
import { layerOptions } from './layer-config';
import { finiteNonNegative } from './options';

export interface ActivityRegularizationArgs extends LayerArgs {
  /** Weight of the L1 penalty l1 · Σ|x| (default 0). */
  l1?: number;
  /** Weight of the L2 penalty l2 · Σx² (default 0). */
  l2?: number;
}

/**
 * The op behind ActivityRegularization: the identity forward, and a backward that adds
 * the penalty's gradient l1·sign(x) + 2·l2·x to the incoming one. tsdl's models have no
 * loss-collection hook (Keras' add_loss), so the penalty reaches training through its
 * gradient: backward of any loss that reads the layer's output gives the gradient of
 * loss + l1·Σ|x| + l2·Σx², as Keras' fit does (Keras 3 adds the penalty unscaled by the
 * batch size). The loss value that fit reports does not include the penalty.
 */
const OP = '@tsdl/keras:activityRegularization';
const COPY = [E.in(0)];

function ensureRule(): void {
  if (gradientRule(OP)) return;
  registerGradient(
    OP,
    (dy, { inputs, attrs }) => {
      const x = inputs[0] as Tensor;
      const { l1, l2 } = attrs as { l1: number; l2: number };
      let g = dy;
      if (l1 !== 0) g = g.add(sign(x).mul(l1));
      if (l2 !== 0) g = g.add(x.mul(2 * l2));
      return [g];
    },
    { output: false },
  );
}

/**
 * Keras' ActivityRegularization: the identity on its input, penalising its size in
 * training by l1 · Σ|x| + l2 · Σx² (summed over the whole batch, Keras 3's L1L2). See OP
 * above for how the penalty enters training here; `penalty(x)` computes its value.
 */
export class ActivityRegularization extends Layer {
  readonly l1: number;
  readonly l2: number;

  constructor(config: ActivityRegularizationArgs = {}) {
    const a = layerOptions(
      'ActivityRegularization',
      config,
      'an options object ({ l1, l2 })',
      [...LAYER_OPTIONS, 'l1', 'l2'],
      new.target === ActivityRegularization,
    );
    super(a);
    this.l1 = finiteNonNegative(this.label, 'l1', a.l1 ?? 0);
    this.l2 = finiteNonNegative(this.label, 'l2', a.l2 ?? 0);
    this.built = true;
  }

  override get className(): string {
    return 'ActivityRegularization';
  }

  override get supportsMasking(): boolean {
    return true;
  }

  /** The penalty l1 · Σ|x| + l2 · Σx² for an input x (a scalar tensor), as Keras adds it to the loss. */
  penalty(x: Tensor): Tensor {
    return tidy(() =>
      sum(abs(x))
        .mul(this.l1)
        .add(sum(square(x)).mul(this.l2)),
    );
  }

  override forward(x: Tensor): Tensor {
    if (!x.requiresGrad || (this.l1 === 0 && this.l2 === 0)) return x;
    ensureRule();
    const attrs = { l1: this.l1, l2: this.l2 };
    return dispatch(OP, [x], attrs, (backend) => runElementwise(backend, COPY, [x], [], x.shape, [x.dtype], OP)[0]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), l1: this.l1, l2: this.l2 };
  }
}
