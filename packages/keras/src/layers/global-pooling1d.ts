import { ArgumentError, ShapeError, type Tensor, cast, max, mean, sum, tidy, unsqueeze, where } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';
import type { KerasDataFormat } from './layer-config';
import { checkMask } from './mask-check';
import { optionalBool } from './options';

export interface GlobalPooling1DArgs extends LayerArgs {
  /** 'channels_last' ([batch, steps, features], the default) or 'channels_first' ([batch, features, steps]). */
  dataFormat?: KerasDataFormat;
  /** Keep the steps axis with length 1 (default false). */
  keepdims?: boolean;
}

/** Global pooling over the steps of 3-D input: the shared options, shapes and config. */
abstract class GlobalPooling1D extends Layer {
  readonly dataFormat: KerasDataFormat;
  readonly keepdims: boolean;

  protected constructor(className: string, config: GlobalPooling1DArgs, exact: boolean) {
    const a = camelCaseKeys(config ?? {}, className);
    if (a === null || typeof a !== 'object' || Array.isArray(a))
      throw new ArgumentError(`${className}: expected an options object ({ dataFormat, keepdims }), got ${quote(a)}`);
    if (exact) rejectUnknownOptions(className, a, [...LAYER_OPTIONS, 'dataFormat', 'keepdims']);
    super(a);
    const f: unknown = a.dataFormat ?? 'channels_last';
    if (f !== 'channels_last' && f !== 'channels_first')
      throw new ArgumentError(`${this.label}: dataFormat must be 'channels_last' or 'channels_first', got ${quote(f)}`);
    this.dataFormat = f;
    this.keepdims = optionalBool(this.label, 'keepdims', a.keepdims, false);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  protected get stepsAxis(): number {
    return this.dataFormat === 'channels_last' ? 1 : 2;
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(
      inputShape,
      3,
      this.dataFormat === 'channels_last' ? 'input [batch, steps, features]' : 'input [batch, features, steps]',
    );
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    const features = this.dataFormat === 'channels_last' ? s[2] : s[1];
    if (!this.keepdims) return [s[0], features];
    return this.dataFormat === 'channels_last' ? [s[0], 1, features] : [s[0], features, 1];
  }

  protected checkInput(x: Tensor): void {
    if (x.rank !== 3) throw new ShapeError(`${this.label}: expects input of rank 3, got shape ${fmtShape(x.shape)}`);
    if (x.shape[this.stepsAxis] === 0)
      throw new ShapeError(`${this.label}: input of shape ${fmtShape(x.shape)} has no steps to pool`);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat, keepdims: this.keepdims };
  }
}

/**
 * Keras' GlobalAveragePooling1D: the mean over the steps. With a mask (from an
 * Embedding with maskZero or a Masking layer) masked steps are left out of the
 * mean, as Keras does (a sequence with every step masked gives 0/0 = NaN there too).
 */
export class GlobalAveragePooling1D extends GlobalPooling1D {
  constructor(config: GlobalPooling1DArgs = {}) {
    super('GlobalAveragePooling1D', config, new.target === GlobalAveragePooling1D);
  }

  override get className(): string {
    return 'GlobalAveragePooling1D';
  }

  override get takesMask(): boolean {
    return true;
  }

  /** The mask ends here: the output has no steps. */
  override computeMask(_x: Tensor, _mask: Tensor | null): null {
    return null;
  }

  override outputMasked(_inputMasked: boolean): boolean {
    return false;
  }

  override forward(x: Tensor, options?: { mask?: Tensor | null }): Tensor {
    this.checkInput(x);
    const o = options ?? {};
    rejectUnknownOptions(`${this.label} call`, o, ['mask']);
    const axis = this.stepsAxis;
    if (o.mask === undefined || o.mask === null) return mean(x, axis, this.keepdims);
    const mask = o.mask;
    return tidy(() => {
      const m = checkMask(this.label, mask, x, axis);
      // [batch, steps] → broadcastable against x along the features axis.
      const mx = unsqueeze(m, this.dataFormat === 'channels_last' ? 2 : 1);
      return sum(where(mx, x, 0), axis, this.keepdims).div(sum(cast(mx, 'float32'), axis, this.keepdims));
    });
  }
}

/**
 * Keras' GlobalMaxPooling1D: the maximum over the steps. It does not support
 * masks (as in Keras, where padded steps would take part in the maximum): a
 * masked input is refused with an error naming the layer.
 */
export class GlobalMaxPooling1D extends GlobalPooling1D {
  constructor(config: GlobalPooling1DArgs = {}) {
    super('GlobalMaxPooling1D', config, new.target === GlobalMaxPooling1D);
  }

  override get className(): string {
    return 'GlobalMaxPooling1D';
  }

  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    return max(x, this.stepsAxis, this.keepdims);
  }
}
