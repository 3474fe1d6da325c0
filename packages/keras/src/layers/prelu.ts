import { ArgumentError, ShapeError, type Tensor, neg, relu, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { initializerName } from '../initializers';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { layerOptions } from './layer-config';

export interface PReLUArgs extends LayerArgs {
  /** Initializer of the learned slopes (Keras' default 'zeros': PReLU starts as ReLU). */
  alphaInitializer?: string;
  /** Axes (1-based, batch excluded, as Keras) that share one slope, e.g. [1, 2] for one slope per channel of images. */
  sharedAxes?: number | number[] | null;
}

/**
 * Keras' PReLU: x for x > 0, else alpha · x, with a trainable alpha of the
 * input's shape (batch excluded) where `sharedAxes` have size 1.
 */
export class PReLU extends Layer {
  readonly alphaInitializer: string;
  readonly sharedAxes: number[] | null;
  alpha!: Tensor;

  constructor(config: PReLUArgs = {}) {
    const a = layerOptions(
      'PReLU',
      config,
      'an options object ({ alphaInitializer, sharedAxes })',
      [...LAYER_OPTIONS, 'alphaInitializer', 'sharedAxes'],
      new.target === PReLU,
    );
    super(a);
    this.alphaInitializer = initializerName(a.alphaInitializer ?? 'zeros', this.label, 'alphaInitializer');
    const s: unknown = a.sharedAxes;
    const list = s === undefined || s === null ? null : Array.isArray(s) ? s : [s];
    if (list !== null && !list.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1)) {
      throw new ArgumentError(
        `${this.label}: sharedAxes must be an axis or a list of axes >= 1 (the batch axis is 0), got ${quote(s)}`,
      );
    }
    this.sharedAxes = list as number[] | null;
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'PReLU';
  }

  override get supportsMasking(): boolean {
    return true;
  }

  override build(inputShape: PartialShape): void {
    if (inputShape.length < 2)
      throw new ShapeError(
        `${this.label}: expects input with a batch axis and at least one more, got shape ${fmtKerasShape(inputShape)}`,
      );
    const shared = new Set(this.sharedAxes ?? []);
    for (const ax of shared) {
      if (ax >= inputShape.length)
        throw new ShapeError(
          `${this.label}: sharedAxes ${quote(this.sharedAxes)} names axis ${ax}, but the input shape ${fmtKerasShape(inputShape)} has axes 1 to ${inputShape.length - 1}`,
        );
    }
    const shape = inputShape.slice(1).map((d, i) => {
      if (shared.has(i + 1)) return 1;
      if (d === null)
        throw new ShapeError(
          `${this.label}: axis ${i + 1} of input shape ${fmtKerasShape(inputShape)} is unknown; give it a size or list it in sharedAxes`,
        );
      return d;
    });
    this.alpha = this.addWeight('alpha', shape, this.alphaInitializer);
    this.built = true;
  }

  override forward(x: Tensor): Tensor {
    const want = this.alpha.shape;
    if (x.rank !== want.length + 1 || want.some((d, i) => d !== 1 && d !== x.shape[i + 1])) {
      throw new ShapeError(
        `${this.label}: built for samples of shape ${fmtShape(want)} (1 on shared axes), got input of shape ${fmtShape(x.shape)}`,
      );
    }
    // relu(x) − alpha · relu(−x), as Keras: the gradient reaches alpha only through negative inputs.
    return tidy(() => relu(x).sub(this.alpha.mul(relu(neg(x)))));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), alphaInitializer: this.alphaInitializer, sharedAxes: this.sharedAxes };
  }
}
