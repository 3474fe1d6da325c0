import { ArgumentError, ShapeError, type Tensor, any, cast, ne, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';

export interface MaskingArgs extends LayerArgs {
  /** A time step whose features all equal this is padding (default 0). */
  maskValue?: number;
}

/**
 * Keras' Masking: marks the time steps of [batch, time, features] input whose
 * features all equal maskValue as padding. The mask ([batch, time]) goes to
 * the layers after it (recurrent layers skip those steps, GlobalAveragePooling1D
 * leaves them out of the mean); the output is the input with those steps zeroed.
 */
export class Masking extends Layer {
  readonly maskValue: number;

  constructor(config: MaskingArgs | number = {}) {
    const a = typeof config === 'number' ? { maskValue: config } : camelCaseKeys(config ?? {}, 'Masking');
    if (a === null || typeof a !== 'object' || Array.isArray(a))
      throw new ArgumentError(`Masking: expected a mask value or an options object ({ maskValue }), got ${quote(a)}`);
    if (new.target === Masking) rejectUnknownOptions('Masking', a, [...LAYER_OPTIONS, 'maskValue']);
    super(a);
    const v: unknown = a.maskValue ?? 0;
    if (typeof v !== 'number' || Number.isNaN(v))
      throw new ArgumentError(`${this.label}: maskValue must be a number, got ${quote(v)}`);
    this.maskValue = v;
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Masking';
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, 3, 'input [batch, time, features]');
    this.built = true;
  }

  private checkInput(x: Tensor): void {
    if (x.rank !== 3)
      throw new ShapeError(
        `${this.label}: expects input of rank 3 [batch, time, features], got shape ${fmtShape(x.shape)}`,
      );
  }

  /** `[batch, time]`: true where some feature differs from maskValue. */
  override computeMask(x: Tensor, _mask: Tensor | null): Tensor {
    this.checkInput(x);
    return tidy(() => any(ne(x, this.maskValue), -1));
  }

  override outputMasked(_inputMasked: boolean): boolean {
    return true;
  }

  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    return tidy(() => x.mul(cast(any(ne(x, this.maskValue), -1, true), x.dtype)));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }
}
