import { ArgumentError, ShapeError, type Tensor, conv2d, tidy } from '@tsdl/tensor';
import { type ActivationName, activationName, getActivation } from '../activations';
import { biasRelu } from './bias-relu';
import { initializerName } from '../initializers';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { optionalBool, optionalSeed, padding, positiveInt } from './options';

export type IntPair = number | [number, number];

/** A size per spatial axis: one positive integer for both, or a pair. */
export function pairOf(layer: string, name: string, v: IntPair | undefined | null, dflt: number): [number, number] {
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
  if (v === undefined || v === null) return [dflt, dflt];
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  throw new ArgumentError(`${layer}: ${name} must be a positive integer or a pair of them, got ${quote(v)}`);
}

/**
 * The output height and width of a convolution or pooling window over `s`
 * ([batch, height, width, channels]), or a ShapeError naming the layer and every
 * setting that made a spatial size < 1 (a window larger than the padded input).
 */
export function windowOutput(
  label: string,
  s: PartialShape,
  w: {
    kernel: [number, number];
    kernelName: string;
    strides: [number, number];
    padding: 'valid' | 'same';
    dilation?: [number, number];
    channels: number | null;
  },
): [number | null, number | null] {
  const d = w.dilation ?? [1, 1];
  const out: [number | null, number | null] = [
    convLength(s[1], w.kernel[0], w.strides[0], w.padding, d[0]),
    convLength(s[2], w.kernel[1], w.strides[1], w.padding, d[1]),
  ];
  if (out.some((n) => n !== null && n < 1)) {
    throw new ShapeError(
      `${label}: input shape ${fmtKerasShape(s)} is too small for ${w.kernelName} [${w.kernel.join(', ')}] with strides [${w.strides.join(', ')}], ` +
        `padding '${w.padding}'${w.dilation ? ` and dilationRate [${d.join(', ')}]` : ''}: the output would be ${fmtKerasShape([s[0], ...out, w.channels])}`,
    );
  }
  return out;
}

/** Output length of one spatial axis under Keras' 'valid' / 'same' padding. */
export function convLength(
  size: number | null,
  k: number,
  stride: number,
  padding: 'valid' | 'same',
  dilation = 1,
): number | null {
  if (size === null) return null;
  if (padding === 'same') return Math.ceil(size / stride);
  return Math.floor((size - (k - 1) * dilation - 1) / stride) + 1;
}

export interface Conv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: IntPair;
  strides?: IntPair;
  padding?: 'valid' | 'same';
  dilationRate?: IntPair;
  /** Channel groups (Keras 3): input channels and filters split into `groups` independent convolutions; 1 (default) is a plain convolution. */
  groups?: number;
  activation?: string;
  useBias?: boolean;
  kernelInitializer?: string;
  biasInitializer?: string;
  seed?: number;
}

const CONV2D_OPTIONS = [
  ...LAYER_OPTIONS,
  'filters',
  'kernelSize',
  'strides',
  'padding',
  'dilationRate',
  'groups',
  'activation',
  'useBias',
  'kernelInitializer',
  'biasInitializer',
  'seed',
];

/**
 * The `groups` option of Keras 3's convolutions: a positive integer (default 1) that
 * divides `filters` (checked at construction, as Keras; the input channels are checked at build).
 */
export function groupsOf(layer: string, v: unknown, filters: number): number {
  const g = v === undefined || v === null ? 1 : positiveInt(layer, 'groups', v);
  if (filters % g !== 0) throw new ArgumentError(`${layer}: filters (${filters}) must be divisible by groups (${g})`);
  return g;
}

/** The input channels must split evenly into the groups: a ShapeError naming the layer and the input shape. */
export function checkGroupChannels(label: string, inputShape: PartialShape, channels: number, groups: number): void {
  if (channels % groups !== 0) {
    throw new ShapeError(
      `${label}: the input's ${channels} channels (input shape ${fmtKerasShape(inputShape)}) must be divisible by groups (${groups})`,
    );
  }
}

/** 2-D convolution over channels-last images [batch, height, width, channels]; kernel [kH, kW, in / groups, filters]. */
export class Conv2D extends Layer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dilationRate: [number, number];
  readonly groups: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private readonly kernelInit: string;
  private readonly biasInit: string;
  private readonly seed: number | undefined;
  kernel!: Tensor;
  bias: Tensor | null = null;

  constructor(config: Conv2DArgs) {
    const args = camelCaseKeys(config, 'Conv2D');
    if (args === null || typeof args !== 'object')
      throw new ArgumentError(`Conv2D: expected an options object ({ filters, kernelSize, ... }), got ${quote(args)}`);
    if (new.target === Conv2D) rejectUnknownOptions('Conv2D', args, CONV2D_OPTIONS);
    super(args);
    const who = this.label;
    this.filters = positiveInt(who, 'filters', args.filters);
    if (args.kernelSize === undefined || args.kernelSize === null)
      throw new ArgumentError(`${who}: kernelSize is required`);
    this.kernelSize = pairOf(who, 'kernelSize', args.kernelSize, 1);
    this.strides = pairOf(who, 'strides', args.strides, 1);
    this.dilationRate = pairOf(who, 'dilationRate', args.dilationRate, 1);
    this.groups = groupsOf(who, args.groups, this.filters);
    this.padding = padding(who, args.padding);
    this.activation = activationName(args.activation, who);
    this.useBias = optionalBool(who, 'useBias', args.useBias, true);
    // Unknown names fail here, as in Keras, not at build.
    this.kernelInit = args.kernelInitializer ?? 'glorot_uniform';
    initializerName(this.kernelInit, who, 'kernelInitializer');
    this.biasInit = args.biasInitializer ?? 'zeros';
    initializerName(this.biasInit, who, 'biasInitializer');
    this.seed = optionalSeed(who, args.seed);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Conv2D';
  }

  override build(inputShape: PartialShape): void {
    // Checks the rank and the output size before any weight is made.
    this.computeOutputShape(inputShape);
    const inC = inputShape[3];
    if (inC === null || inC < 1)
      throw new ShapeError(
        `${this.label}: the channel dimension must be known and positive, got input shape ${fmtKerasShape(inputShape)}`,
      );
    checkGroupChannels(this.label, inputShape, inC, this.groups);
    this.kernel = this.addWeight('kernel', [...this.kernelSize, inC / this.groups, this.filters], this.kernelInit, {
      seed: this.seed,
    });
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInit);
    this.built = true;
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

  /** The convolution plus bias, before the activation. */
  preActivation(x: Tensor): Tensor {
    return tidy(() => {
      const y = this.convolve(x);
      return this.bias ? y.add(this.bias) : y;
    });
  }

  /** The convolution alone. */
  private convolve(x: Tensor): Tensor {
    // groups only when grouped: a plain convolution keeps conv2d's ungrouped call.
    return conv2d(x, this.kernel, {
      strides: this.strides,
      padding: this.padding,
      dilations: this.dilationRate,
      ...(this.groups > 1 ? { groups: this.groups } : {}),
    });
  }

  override forward(x: Tensor): Tensor {
    if (this.activation === 'linear') return this.preActivation(x);
    if (this.activation === 'relu' && this.bias && x.dtype === 'float32') {
      // As Dense: bias and relu in one pass over the convolution's output, and one pass back
      // (a separate bias add and relu cost two passes each way).
      const bias = this.bias;
      return tidy(() => biasRelu(this.convolve(x), bias));
    }
    return tidy(() => getActivation(this.activation)(this.preActivation(x)));
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      groups: this.groups,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInit,
      biasInitializer: this.biasInit,
    };
  }
}
