import { ArgumentError, ShapeError, type Tensor, conv2d, pad, reshape, slice, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { type ActivationName, activationName, getActivation } from '../../activations';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from '../layer';
import { checkGroupChannels, groupsOf } from '../conv';
import { initializerOption } from '../conv-args';
import { type KerasDataFormat, dataFormat, layerOptions } from '../layer-config';
import { optionalBool, optionalSeed, padding, positiveInt } from '../options';
import {
  type IntTriple,
  fromChannelsLast,
  samePads,
  shapeFromLast,
  shapeToLast,
  toChannelsLast,
  tripleOf,
  volumeWhat,
  windowLength,
} from './volume-args';

export interface Conv3DArgs extends LayerArgs {
  filters: number;
  kernelSize: IntTriple;
  strides?: IntTriple;
  padding?: 'valid' | 'same';
  /** 'channels_last' (default) or 'channels_first'. */
  dataFormat?: KerasDataFormat;
  dilationRate?: IntTriple;
  /** Channel groups (Keras 3); 1 (default) is a plain convolution. */
  groups?: number;
  activation?: string;
  useBias?: boolean;
  kernelInitializer?: string;
  biasInitializer?: string;
  seed?: number;
}

const OPTIONS = [
  ...LAYER_OPTIONS,
  'filters',
  'kernelSize',
  'strides',
  'padding',
  'dataFormat',
  'dilationRate',
  'groups',
  'activation',
  'useBias',
  'kernelInitializer',
  'biasInitializer',
  'seed',
];

/**
 * Keras' Conv3D over volumes [batch, d1, d2, d3, channels]; kernel [k1, k2, k3, in / groups,
 * filters], bias [filters]. Composed of 2-D convolutions: for each of the k1 depth taps, the
 * input planes that tap reads (one per output plane: a strided slice of the depth axis,
 * padded as TensorFlow's 'same' pads it) go through conv2d with that tap's [k2, k3] kernel
 * as one batch, and the taps are summed; so it has conv2d's kernels and gradients on every
 * backend.
 */
export class Conv3D extends Layer {
  readonly filters: number;
  readonly kernelSize: [number, number, number];
  readonly strides: [number, number, number];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: KerasDataFormat;
  readonly dilationRate: [number, number, number];
  readonly groups: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private readonly kernelInit: string;
  private readonly biasInit: string;
  private readonly seed: number | undefined;
  kernel!: Tensor;
  bias: Tensor | null = null;

  constructor(config: Conv3DArgs) {
    const a = layerOptions(
      'Conv3D',
      config,
      'an options object ({ filters, kernelSize, ... })',
      OPTIONS,
      new.target === Conv3D,
    );
    super(a);
    const who = this.label;
    this.filters = positiveInt(who, 'filters', a.filters);
    if (a.kernelSize === undefined || a.kernelSize === null) throw new ArgumentError(`${who}: kernelSize is required`);
    this.kernelSize = tripleOf(who, 'kernelSize', a.kernelSize, 1);
    this.strides = tripleOf(who, 'strides', a.strides, 1);
    this.padding = padding(who, a.padding);
    this.dataFormat = dataFormat(who, a.dataFormat);
    this.dilationRate = tripleOf(who, 'dilationRate', a.dilationRate, 1);
    this.groups = groupsOf(who, a.groups, this.filters);
    this.activation = activationName(a.activation, who);
    this.useBias = optionalBool(who, 'useBias', a.useBias, true);
    this.kernelInit = initializerOption(who, 'kernelInitializer', a.kernelInitializer, 'glorot_uniform');
    this.biasInit = initializerOption(who, 'biasInitializer', a.biasInitializer, 'zeros');
    this.seed = optionalSeed(who, a.seed);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Conv3D';
  }

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    const inC = shapeToLast(inputShape, this.dataFormat)[4];
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
    this.expectRank(s, 5, volumeWhat(this.dataFormat));
    const last = shapeToLast(s, this.dataFormat);
    const out = [0, 1, 2].map((i) =>
      windowLength(last[i + 1], this.kernelSize[i], this.strides[i], this.padding, this.dilationRate[i]),
    );
    if (out.some((n) => n !== null && n < 1)) {
      throw new ShapeError(
        `${this.label}: input shape ${fmtKerasShape(s)} is too small for kernelSize [${this.kernelSize.join(', ')}] with strides [${this.strides.join(', ')}], padding '${this.padding}' and dilationRate [${this.dilationRate.join(', ')}]`,
      );
    }
    return shapeFromLast([s[0], ...out, this.filters], this.dataFormat);
  }

  override forward(x: Tensor): Tensor {
    const inC = this.kernel.shape[3] * this.groups;
    const cAxis = this.dataFormat === 'channels_last' ? 4 : 1;
    if (x.rank !== 5 || x.shape[cAxis] !== inC)
      throw new ShapeError(
        `${this.label}: expected ${volumeWhat(this.dataFormat).replace('channels', String(inC))}, got shape ${fmtShape(x.shape)}`,
      );
    this.computeOutputShape([null, ...x.shape.slice(1)]);
    const [k1, k2, k3] = this.kernelSize;
    const [s1] = this.strides;
    const [d1] = this.dilationRate;
    return tidy(() => {
      let v = toChannelsLast(x, this.dataFormat);
      const [B, D, H, W, C] = v.shape;
      const outD = windowLength(D, k1, s1, this.padding, d1) as number;
      if (this.padding === 'same') {
        const [before, after] = samePads(D, k1, s1, d1);
        if (before + after > 0)
          v = pad(v, [
            [0, 0],
            [before, after],
            [0, 0],
            [0, 0],
            [0, 0],
          ]);
      }
      let sum: Tensor | null = null;
      for (let t = 0; t < k1; t++) {
        // The plane this tap reads for every output plane: t·d1, t·d1 + s1, …
        const start = t * d1;
        const planes = slice(
          v,
          [0, start, 0, 0, 0],
          [null, start + (outD - 1) * s1 + 1, null, null, null],
          [1, s1, 1, 1, 1],
        );
        const tap = reshape(slice(this.kernel, [t, 0, 0, 0, 0], [t + 1, null, null, null, null]), [
          k2,
          k3,
          C / this.groups,
          this.filters,
        ]);
        const y = conv2d(reshape(planes, [B * outD, H, W, C]), tap, {
          strides: [this.strides[1], this.strides[2]],
          padding: this.padding,
          dilations: [this.dilationRate[1], this.dilationRate[2]],
          ...(this.groups > 1 ? { groups: this.groups } : {}),
        });
        sum = sum ? sum.add(y) : y;
      }
      const y = sum as Tensor;
      let out = reshape(y, [B, outD, y.shape[1], y.shape[2], this.filters]);
      if (this.bias) out = out.add(this.bias);
      if (this.activation !== 'linear') out = getActivation(this.activation)(out);
      return fromChannelsLast(out, this.dataFormat);
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: this.dilationRate,
      groups: this.groups,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInit,
      biasInitializer: this.biasInit,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}
