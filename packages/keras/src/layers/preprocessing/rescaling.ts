import { ShapeError, type Tensor, cast, tensor, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { LAYER_OPTIONS, type LayerArgs, Layer } from '../layer';
import { type NumericArray, layerOptions, numericArray } from '../layer-config';

type Numbers = number | Numbers[];

export interface RescalingArgs extends LayerArgs {
  /** Multiplier: a number, or a list broadcast against the input's last axes (one per channel). */
  scale: Numbers;
  /** Added after scaling (default 0); a number or a list, as scale. */
  offset?: Numbers;
}

/**
 * Keras' Rescaling: x · scale + offset, in float32 (integer input such as
 * image bytes is cast first): `new Rescaling({ scale: 1 / 255 })` maps [0, 255]
 * to [0, 1], `{ scale: 1 / 127.5, offset: -1 }` to [−1, 1].
 */
export class Rescaling extends Layer {
  readonly scale: Numbers;
  readonly offset: Numbers;
  private readonly scaleArray: NumericArray;
  private readonly offsetArray: NumericArray;

  constructor(config: RescalingArgs) {
    const a = layerOptions(
      'Rescaling',
      config,
      'an options object ({ scale, offset })',
      [...LAYER_OPTIONS, 'scale', 'offset'],
      new.target === Rescaling,
    );
    super(a);
    this.scaleArray = numericArray(this.label, 'scale', a.scale);
    this.offsetArray = numericArray(this.label, 'offset', a.offset ?? 0);
    this.scale = structuredClone(a.scale);
    this.offset = structuredClone(a.offset ?? 0);
    this.built = true;
  }

  override get className(): string {
    return 'Rescaling';
  }

  override get supportsMasking(): boolean {
    return true;
  }

  private checkFits(p: NumericArray, x: Tensor, option: string): void {
    const fits =
      p.shape.length <= x.rank && p.shape.every((d, i) => d === 1 || d === x.shape[x.rank - p.shape.length + i]);
    if (!fits)
      throw new ShapeError(
        `${this.label}: ${option} of shape ${fmtShape(p.shape)} does not broadcast against the input of shape ${fmtShape(x.shape)}`,
      );
  }

  private operand(p: NumericArray, x: Tensor): number | Tensor {
    return p.shape.length === 0 ? p.values[0] : tensor(p.values, p.shape, 'float32', { backend: x.backend });
  }

  override forward(x: Tensor): Tensor {
    this.checkFits(this.scaleArray, x, 'scale');
    this.checkFits(this.offsetArray, x, 'offset');
    return tidy(() => {
      const xf = x.dtype === 'float32' ? x : cast(x, 'float32');
      return xf.mul(this.operand(this.scaleArray, x)).add(this.operand(this.offsetArray, x));
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), scale: structuredClone(this.scale), offset: structuredClone(this.offset) };
  }
}
