import { ArgumentError, ShapeError, type Tensor, depthwiseConv2d, reshape, tidy, transpose } from '@tsdl/tensor';
import { type ActivationName, activationName, getActivation } from '../activations';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { convOptions, initializerOption } from './conv-args';
import { rejectUnknownOptions } from '../config-keys';
import { checkedLength1d, single } from './conv1d';
import { type KerasDataFormat, dataFormat } from './layer-config';
import { optionalBool, optionalSeed, padding, positiveInt } from './options';

export interface DepthwiseConv1DArgs extends LayerArgs {
  kernelSize: number | [number];
  strides?: number | [number];
  padding?: 'valid' | 'same';
  /** Output channels per input channel (default 1): the output has channels · depthMultiplier. */
  depthMultiplier?: number;
  /** 'channels_last' (default: [batch, steps, channels]) or 'channels_first' ([batch, channels, steps]). */
  dataFormat?: KerasDataFormat;
  dilationRate?: number | [number];
  activation?: string;
  useBias?: boolean;
  depthwiseInitializer?: string;
  biasInitializer?: string;
  seed?: number;
}

const OPTIONS = [
  ...LAYER_OPTIONS,
  'kernelSize',
  'strides',
  'padding',
  'depthMultiplier',
  'dataFormat',
  'dilationRate',
  'activation',
  'useBias',
  'depthwiseInitializer',
  'biasInitializer',
  'seed',
];

/**
 * Keras' DepthwiseConv1D: each channel of a sequence convolved with its own
 * depthMultiplier filters, channels never mixed. Weight 'depthwise_kernel'
 * [kernelSize, channels, depthMultiplier] (tf.keras' name, as DepthwiseConv2D here;
 * Keras 3 calls it 'kernel'), output channel c·depthMultiplier + m. Runs as
 * depthwiseConv2d over a [batch, 1, steps, channels] view.
 */
export class DepthwiseConv1D extends Layer {
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: 'valid' | 'same';
  readonly depthMultiplier: number;
  readonly dataFormat: KerasDataFormat;
  readonly dilationRate: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private readonly depthwiseInit: string;
  private readonly biasInit: string;
  private readonly seed: number | undefined;
  depthwiseKernel!: Tensor;
  bias: Tensor | null = null;

  constructor(config: DepthwiseConv1DArgs) {
    const args = convOptions('DepthwiseConv1D', config, 'an options object ({ kernelSize, depthMultiplier, ... })');
    if (new.target === DepthwiseConv1D) rejectUnknownOptions('DepthwiseConv1D', args, OPTIONS);
    super(args);
    const who = this.label;
    if (args.kernelSize === undefined || args.kernelSize === null)
      throw new ArgumentError(`${who}: kernelSize is required`);
    this.kernelSize = single(who, 'kernelSize', args.kernelSize, 1);
    this.strides = single(who, 'strides', args.strides, 1);
    this.padding = padding(who, args.padding);
    this.depthMultiplier =
      args.depthMultiplier === undefined || args.depthMultiplier === null
        ? 1
        : positiveInt(who, 'depthMultiplier', args.depthMultiplier);
    this.dataFormat = dataFormat(who, args.dataFormat);
    this.dilationRate = single(who, 'dilationRate', args.dilationRate, 1);
    this.activation = activationName(args.activation, who);
    this.useBias = optionalBool(who, 'useBias', args.useBias, true);
    this.depthwiseInit = initializerOption(who, 'depthwiseInitializer', args.depthwiseInitializer, 'glorot_uniform');
    this.biasInit = initializerOption(who, 'biasInitializer', args.biasInitializer, 'zeros');
    this.seed = optionalSeed(who, args.seed);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'DepthwiseConv1D';
  }

  /** The shape as [batch, steps, channels]. */
  private lastFormat(s: PartialShape): PartialShape {
    return this.dataFormat === 'channels_last' ? s : [s[0], s[2], s[1]];
  }

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    const inC = this.lastFormat(inputShape)[2];
    if (inC === null || inC < 1)
      throw new ShapeError(
        `${this.label}: the channel dimension must be known and positive, got input shape ${fmtKerasShape(inputShape)}`,
      );
    this.depthwiseKernel = this.addWeight(
      'depthwise_kernel',
      [this.kernelSize, inC, this.depthMultiplier],
      this.depthwiseInit,
      { seed: this.seed },
    );
    if (this.useBias) this.bias = this.addWeight('bias', [inC * this.depthMultiplier], this.biasInit);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(
      s,
      3,
      this.dataFormat === 'channels_last' ? 'sequences [batch, steps, channels]' : 'sequences [batch, channels, steps]',
    );
    const last = this.lastFormat(s);
    const channels = last[2] === null ? null : last[2] * this.depthMultiplier;
    const n = checkedLength1d(this.label, last, {
      k: this.kernelSize,
      kName: 'kernelSize',
      stride: this.strides,
      padding: this.padding,
      dilation: this.dilationRate,
      channels,
    });
    return this.dataFormat === 'channels_last' ? [s[0], n, channels] : [s[0], channels, n];
  }

  override forward(x: Tensor): Tensor {
    const inC = this.depthwiseKernel.shape[1];
    const cAxis = this.dataFormat === 'channels_last' ? 2 : 1;
    if (x.rank !== 3 || x.shape[cAxis] !== inC) {
      const want = this.dataFormat === 'channels_last' ? `[batch, steps, ${inC}]` : `[batch, ${inC}, steps]`;
      throw new ShapeError(`${this.label}: expected sequences ${want}, got shape [${x.shape.join(',')}]`);
    }
    this.computeOutputShape([null, x.shape[1], x.shape[2]]);
    return tidy(() => {
      const seq = this.dataFormat === 'channels_last' ? x : transpose(x, [0, 2, 1]);
      const [b, t] = seq.shape;
      const y = depthwiseConv2d(
        reshape(seq, [b, 1, t, inC]),
        reshape(this.depthwiseKernel, [1, ...this.depthwiseKernel.shape]),
        {
          strides: [1, this.strides],
          padding: this.padding,
          dilations: [1, this.dilationRate],
        },
      );
      let out = reshape(y, [b, y.shape[2], y.shape[3]]);
      if (this.bias) out = out.add(this.bias);
      if (this.activation !== 'linear') out = getActivation(this.activation)(out);
      return this.dataFormat === 'channels_last' ? out : transpose(out, [0, 2, 1]);
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      kernelSize: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      depthMultiplier: this.depthMultiplier,
      dataFormat: this.dataFormat,
      dilationRate: [this.dilationRate],
      activation: this.activation,
      useBias: this.useBias,
      depthwiseInitializer: this.depthwiseInit,
      biasInitializer: this.biasInit,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}
