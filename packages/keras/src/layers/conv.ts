import { ArgumentError, type Tensor, conv2d, tidy } from '@tsdl/tensor';
import { type ActivationName, activationName, getActivation } from '../activations';
import { initializerName } from '../initializers';
import { type LayerArgs, Layer, type Shape } from './layer';
import { camelCaseKeys } from '../config-keys';

export type IntPair = number | [number, number];

export function pairOf(layer: string, name: string, v: IntPair | undefined, dflt: number): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((n) => Number.isInteger(n) && n > 0)) throw new ArgumentError(`${layer}: ${name} must be positive integers, got ${JSON.stringify(v)}`);
  return p;
}

/** Output length of one spatial axis under Keras' 'valid' / 'same' padding. */
export function convLength(size: number | null, k: number, stride: number, padding: 'valid' | 'same', dilation = 1): number | null {
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
  activation?: string;
  useBias?: boolean;
  kernelInitializer?: string;
  biasInitializer?: string;
  seed?: number;
}

/** 2-D convolution over channels-last images [batch, height, width, channels]; kernel [kH, kW, in, filters]. */
export class Conv2D extends Layer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private readonly kernelInit: string;
  private readonly biasInit: string;
  private readonly seed: number | undefined;
  kernel!: Tensor;
  bias: Tensor | null = null;

  constructor(config: Conv2DArgs) {
    const args = camelCaseKeys(config);
    super(args);
    if (!Number.isInteger(args.filters) || args.filters <= 0) throw new ArgumentError(`Conv2D: filters must be a positive integer, got ${args.filters}`);
    this.filters = args.filters;
    this.kernelSize = pairOf('Conv2D', 'kernelSize', args.kernelSize, 1);
    this.strides = pairOf('Conv2D', 'strides', args.strides, 1);
    this.dilationRate = pairOf('Conv2D', 'dilationRate', args.dilationRate, 1);
    this.padding = args.padding ?? 'valid';
    if (this.padding !== 'valid' && this.padding !== 'same') throw new ArgumentError(`Conv2D: padding must be 'valid' or 'same', got ${JSON.stringify(args.padding)}`);
    this.activation = activationName(args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInit = args.kernelInitializer ?? 'glorot_uniform';
    this.biasInit = args.biasInitializer ?? 'zeros';
    initializerName(this.kernelInit);
    initializerName(this.biasInit);
    this.seed = args.seed;
    if (args.inputShape) this.build([null, ...args.inputShape]);
  }

  override get className(): string {
    return 'Conv2D';
  }

  override build(inputShape: Shape): void {
    this.expectRank(inputShape, 4, 'images [batch, height, width, channels]');
    const inC = inputShape[3];
    if (inC === null) throw new ArgumentError(`${this.name} (Conv2D): the channel dimension must be known`);
    this.kernel = this.addWeight('kernel', [...this.kernelSize, inC, this.filters], this.kernelInit, { seed: this.seed });
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInit);
    this.built = true;
  }

  override computeOutputShape(s: Shape): Shape {
    return [
      s[0],
      convLength(s[1], this.kernelSize[0], this.strides[0], this.padding, this.dilationRate[0]),
      convLength(s[2], this.kernelSize[1], this.strides[1], this.padding, this.dilationRate[1]),
      this.filters,
    ];
  }

  /** The convolution plus bias, before the activation. */
  preActivation(x: Tensor): Tensor {
    return tidy(() => {
      const y = conv2d(x, this.kernel, { strides: this.strides, padding: this.padding, dilations: this.dilationRate });
      return this.bias ? y.add(this.bias) : y;
    });
  }

  override forward(x: Tensor): Tensor {
    if (this.activation === 'linear') return this.preActivation(x);
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
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInit,
      biasInitializer: this.biasInit,
    };
  }
}
