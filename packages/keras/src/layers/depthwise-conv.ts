import { ArgumentError, ShapeError, type Tensor, depthwiseConv2d, tidy } from '@tsdl/tensor';
import { type ActivationName, activationName, getActivation } from '../activations';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { rejectUnknownOptions } from '../config-keys';
import { type IntPair, pairOf, windowOutput } from './conv';
import { convOptions, initializerOption } from './conv-args';
import { optionalBool, optionalSeed, padding, positiveInt } from './options';

export interface DepthwiseConv2DArgs extends LayerArgs {
  kernelSize: IntPair;
  strides?: IntPair;
  padding?: 'valid' | 'same';
  /** Output channels per input channel (default 1): the output has channels · depthMultiplier. */
  depthMultiplier?: number;
  dilationRate?: IntPair;
  activation?: string;
  useBias?: boolean;
  depthwiseInitializer?: string;
  biasInitializer?: string;
  seed?: number;
}

const DEPTHWISE_OPTIONS = [
  ...LAYER_OPTIONS,
  'kernelSize',
  'strides',
  'padding',
  'depthMultiplier',
  'dilationRate',
  'activation',
  'useBias',
  'depthwiseInitializer',
  'biasInitializer',
  'seed',
];

/**
 * Depthwise 2-D convolution: each input channel convolved with its own depthMultiplier
 * filters, channels never mixed; weight 'depthwise_kernel' [kH, kW, channels, depthMultiplier]
 * (tf.keras' and TF.js' name and layout; output channel c·depthMultiplier + m).
 */
export class DepthwiseConv2D extends Layer {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly depthMultiplier: number;
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private readonly depthwiseInit: string;
  private readonly biasInit: string;
  private readonly seed: number | undefined;
  depthwiseKernel!: Tensor;
  bias: Tensor | null = null;

  constructor(config: DepthwiseConv2DArgs) {
    const args = convOptions('DepthwiseConv2D', config, 'an options object ({ kernelSize, depthMultiplier, ... })');
    if (new.target === DepthwiseConv2D) rejectUnknownOptions('DepthwiseConv2D', args, DEPTHWISE_OPTIONS);
    super(args);
    const who = this.label;
    if (args.kernelSize === undefined || args.kernelSize === null)
      throw new ArgumentError(`${who}: kernelSize is required`);
    this.kernelSize = pairOf(who, 'kernelSize', args.kernelSize, 1);
    this.strides = pairOf(who, 'strides', args.strides, 1);
    this.padding = padding(who, args.padding);
    this.depthMultiplier =
      args.depthMultiplier === undefined || args.depthMultiplier === null
        ? 1
        : positiveInt(who, 'depthMultiplier', args.depthMultiplier);
    this.dilationRate = pairOf(who, 'dilationRate', args.dilationRate, 1);
    this.activation = activationName(args.activation, who);
    this.useBias = optionalBool(who, 'useBias', args.useBias, true);
    this.depthwiseInit = initializerOption(who, 'depthwiseInitializer', args.depthwiseInitializer, 'glorot_uniform');
    this.biasInit = initializerOption(who, 'biasInitializer', args.biasInitializer, 'zeros');
    this.seed = optionalSeed(who, args.seed);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'DepthwiseConv2D';
  }

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    const inC = inputShape[3];
    if (inC === null || inC < 1)
      throw new ShapeError(
        `${this.label}: the channel dimension must be known and positive, got input shape ${fmtKerasShape(inputShape)}`,
      );
    this.depthwiseKernel = this.addWeight(
      'depthwise_kernel',
      [...this.kernelSize, inC, this.depthMultiplier],
      this.depthwiseInit,
      { seed: this.seed },
    );
    if (this.useBias) this.bias = this.addWeight('bias', [inC * this.depthMultiplier], this.biasInit);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 4, 'images [batch, height, width, channels]');
    const channels = s[3] === null ? null : s[3] * this.depthMultiplier;
    const [h, w] = windowOutput(this.label, s, {
      kernel: this.kernelSize,
      kernelName: 'kernelSize',
      strides: this.strides,
      padding: this.padding,
      dilation: this.dilationRate,
      channels,
    });
    return [s[0], h, w, channels];
  }

  override forward(x: Tensor): Tensor {
    const inC = this.depthwiseKernel.shape[2];
    if (x.rank !== 4 || x.shape[3] !== inC)
      throw new ShapeError(
        `${this.label}: expected images [batch, height, width, ${inC}], got shape [${x.shape.join(',')}]`,
      );
    this.computeOutputShape([null, x.shape[1], x.shape[2], inC]);
    return tidy(() => {
      const y = depthwiseConv2d(x, this.depthwiseKernel, {
        strides: this.strides,
        padding: this.padding,
        dilations: this.dilationRate,
      });
      const z = this.bias ? y.add(this.bias) : y;
      return this.activation === 'linear' ? z : getActivation(this.activation)(z);
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      depthMultiplier: this.depthMultiplier,
      dilationRate: this.dilationRate,
      activation: this.activation,
      useBias: this.useBias,
      depthwiseInitializer: this.depthwiseInit,
      biasInitializer: this.biasInit,
    };
  }
}
