import { ArgumentError, ShapeError, type Tensor, conv2d, depthwiseConv2d, reshape, tidy } from '@tsdl/tensor';
import { type ActivationName, activationName, getActivation } from '../activations';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { rejectUnknownOptions } from '../config-keys';
import { type IntPair, pairOf, windowOutput } from './conv';
import { checkedLength1d, single } from './conv1d';
import { convOptions, initializerOption } from './conv-args';
import { optionalBool, optionalSeed, padding, positiveInt } from './options';

interface SeparableArgs extends LayerArgs {
  filters: number;
  padding?: 'valid' | 'same';
  /** Depthwise output channels per input channel (default 1). */
  depthMultiplier?: number;
  activation?: string;
  useBias?: boolean;
  depthwiseInitializer?: string;
  pointwiseInitializer?: string;
  biasInitializer?: string;
  /** Seeds the depthwise kernel; the pointwise kernel takes seed + 1. */
  seed?: number;
}

export interface SeparableConv2DArgs extends SeparableArgs {
  kernelSize: IntPair;
  strides?: IntPair;
  dilationRate?: IntPair;
}

export interface SeparableConv1DArgs extends SeparableArgs {
  kernelSize: number | [number];
  strides?: number | [number];
  dilationRate?: number | [number];
}

const SEPARABLE_OPTIONS = [
  ...LAYER_OPTIONS,
  'filters',
  'kernelSize',
  'strides',
  'padding',
  'depthMultiplier',
  'dilationRate',
  'activation',
  'useBias',
  'depthwiseInitializer',
  'pointwiseInitializer',
  'biasInitializer',
  'seed',
];

/**
 * A depthwise convolution (each channel alone, depthMultiplier filters each) followed by a
 * pointwise 1×1 convolution that mixes channels, as Keras' separable convolutions: weights
 * 'depthwise_kernel' [...kernelSize, channels, depthMultiplier], 'pointwise_kernel'
 * [...ones, channels · depthMultiplier, filters] and 'bias' [filters]. Both ranks run on the
 * 2-D ops (1-D over a [batch, 1, steps, channels] view).
 */
abstract class SeparableConv extends Layer {
  readonly filters: number;
  readonly padding: 'valid' | 'same';
  readonly depthMultiplier: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private readonly depthwiseInit: string;
  private readonly pointwiseInit: string;
  private readonly biasInit: string;
  private readonly seed: number | undefined;
  depthwiseKernel!: Tensor;
  pointwiseKernel!: Tensor;
  bias: Tensor | null = null;

  constructor(args: SeparableArgs) {
    super(args);
    const who = this.label;
    this.filters = positiveInt(who, 'filters', args.filters);
    if (
      (args as { kernelSize?: unknown }).kernelSize === undefined ||
      (args as { kernelSize?: unknown }).kernelSize === null
    ) {
      throw new ArgumentError(`${who}: kernelSize is required`);
    }
    this.padding = padding(who, args.padding);
    this.depthMultiplier =
      args.depthMultiplier === undefined || args.depthMultiplier === null
        ? 1
        : positiveInt(who, 'depthMultiplier', args.depthMultiplier);
    this.activation = activationName(args.activation, who);
    this.useBias = optionalBool(who, 'useBias', args.useBias, true);
    this.depthwiseInit = initializerOption(who, 'depthwiseInitializer', args.depthwiseInitializer, 'glorot_uniform');
    this.pointwiseInit = initializerOption(who, 'pointwiseInitializer', args.pointwiseInitializer, 'glorot_uniform');
    this.biasInit = initializerOption(who, 'biasInitializer', args.biasInitializer, 'zeros');
    this.seed = optionalSeed(who, args.seed);
  }

  /** The depthwise kernel's spatial sizes. */
  protected abstract get window(): number[];

  /** The input's rank (batch included): 4 for images, 3 for sequences. */
  protected abstract get rank(): number;

  override build(inputShape: PartialShape): void {
    // The output shape (rank and window fit) is checked before any weight is made.
    this.computeOutputShape(inputShape);
    const inC = inputShape[this.rank - 1];
    if (inC === null || inC < 1)
      throw new ShapeError(
        `${this.label}: the channel dimension must be known and positive, got input shape ${fmtKerasShape(inputShape)}`,
      );
    const ones = this.window.map(() => 1);
    this.depthwiseKernel = this.addWeight(
      'depthwise_kernel',
      [...this.window, inC, this.depthMultiplier],
      this.depthwiseInit,
      { seed: this.seed },
    );
    this.pointwiseKernel = this.addWeight(
      'pointwise_kernel',
      [...ones, inC * this.depthMultiplier, this.filters],
      this.pointwiseInit,
      {
        seed:
          this.seed === undefined ? undefined : this.seed === Number.MAX_SAFE_INTEGER ? this.seed - 1 : this.seed + 1,
      },
    );
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInit);
    this.built = true;
  }

  /** Depthwise then pointwise over a channels-last image batch `x4`; strides and dilations are the 2-D ones. */
  protected separable(x4: Tensor, strides: [number, number], dilations: [number, number]): Tensor {
    const [kh, kw] = this.window.length === 2 ? this.window : [1, this.window[0]];
    const inC = this.depthwiseKernel.shape[this.window.length];
    return tidy(() => {
      const d = depthwiseConv2d(x4, reshape(this.depthwiseKernel, [kh, kw, inC, this.depthMultiplier]), {
        strides,
        padding: this.padding,
        dilations,
      });
      const y = conv2d(d, reshape(this.pointwiseKernel, [1, 1, inC * this.depthMultiplier, this.filters]));
      const z = this.bias ? y.add(this.bias) : y;
      return this.activation === 'linear' ? z : getActivation(this.activation)(z);
    });
  }

  /** The input checked against the built kernels: its rank and channel count, then its spatial size. */
  protected checkInput(x: Tensor, what: string): void {
    const inC = this.depthwiseKernel.shape[this.window.length];
    if (x.rank !== this.rank || x.shape[this.rank - 1] !== inC)
      throw new ShapeError(
        `${this.label}: expected ${what.replace('channels', String(inC))}, got shape [${x.shape.join(',')}]`,
      );
    this.computeOutputShape([null, ...x.shape.slice(1)]);
  }

  protected commonConfig(): Record<string, unknown> {
    return {
      filters: this.filters,
      padding: this.padding,
      depthMultiplier: this.depthMultiplier,
      activation: this.activation,
      useBias: this.useBias,
      depthwiseInitializer: this.depthwiseInit,
      pointwiseInitializer: this.pointwiseInit,
      biasInitializer: this.biasInit,
    };
  }
}

/** Depthwise separable 2-D convolution over channels-last images (MobileNet's and Xception's building block). */
export class SeparableConv2D extends SeparableConv {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilationRate: [number, number];

  constructor(config: SeparableConv2DArgs) {
    const args = convOptions('SeparableConv2D', config, 'an options object ({ filters, kernelSize, ... })');
    if (new.target === SeparableConv2D) rejectUnknownOptions('SeparableConv2D', args, SEPARABLE_OPTIONS);
    super(args);
    const who = this.label;
    this.kernelSize = pairOf(who, 'kernelSize', args.kernelSize, 1);
    this.strides = pairOf(who, 'strides', args.strides, 1);
    this.dilationRate = pairOf(who, 'dilationRate', args.dilationRate, 1);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'SeparableConv2D';
  }

  protected override get window(): number[] {
    return this.kernelSize;
  }

  protected override get rank(): number {
    return 4;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 4, 'images [batch, height, width, channels]');
    const [h, w] = windowOutput(this.label, s, {
      kernel: this.kernelSize,
      kernelName: 'kernelSize',
      strides: this.strides,
      padding: this.padding,
      dilation: this.dilationRate,
      channels: this.filters,
    });
    return [s[0], h, w, this.filters];
  }

  override forward(x: Tensor): Tensor {
    this.checkInput(x, 'images [batch, height, width, channels]');
    return this.separable(x, this.strides, this.dilationRate);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      ...this.commonConfig(),
      kernelSize: this.kernelSize,
      strides: this.strides,
      dilationRate: this.dilationRate,
    };
  }
}

/** Depthwise separable 1-D convolution over sequences [batch, steps, channels] ('valid' or 'same' padding, as Keras 3). */
export class SeparableConv1D extends SeparableConv {
  readonly kernelSize: number;
  readonly strides: number;
  readonly dilationRate: number;

  constructor(config: SeparableConv1DArgs) {
    const args = convOptions('SeparableConv1D', config, 'an options object ({ filters, kernelSize, ... })');
    if (new.target === SeparableConv1D) rejectUnknownOptions('SeparableConv1D', args, SEPARABLE_OPTIONS);
    super(args);
    const who = this.label;
    this.kernelSize = single(who, 'kernelSize', args.kernelSize, 1);
    this.strides = single(who, 'strides', args.strides, 1);
    this.dilationRate = single(who, 'dilationRate', args.dilationRate, 1);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'SeparableConv1D';
  }

  protected override get window(): number[] {
    return [this.kernelSize];
  }

  protected override get rank(): number {
    return 3;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 3, 'sequences [batch, steps, channels]');
    const n = checkedLength1d(this.label, s, {
      k: this.kernelSize,
      kName: 'kernelSize',
      stride: this.strides,
      padding: this.padding,
      dilation: this.dilationRate,
      channels: this.filters,
    });
    return [s[0], n, this.filters];
  }

  override forward(x: Tensor): Tensor {
    this.checkInput(x, 'sequences [batch, steps, channels]');
    const [b, t, c] = x.shape;
    return tidy(() => {
      const y = this.separable(reshape(x, [b, 1, t, c]), [1, this.strides], [1, this.dilationRate]);
      return reshape(y, [b, y.shape[2], this.filters]);
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      ...this.commonConfig(),
      kernelSize: [this.kernelSize],
      strides: [this.strides],
      dilationRate: [this.dilationRate],
    };
  }
}
