import { ArgumentError, ShapeError, type Tensor, conv2dTranspose, pad, reshape, slice, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { type ActivationName, activationName, getActivation } from '../../activations';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from '../layer';
import { initializerOption, outputPaddingOf } from '../conv-args';
import { transposeLength, transposePads } from '../conv-transpose';
import { type KerasDataFormat, dataFormat, layerOptions } from '../layer-config';
import { optionalBool, optionalSeed, padding, positiveInt } from '../options';
import {
  type IntTriple,
  fromChannelsLast,
  shapeFromLast,
  shapeToLast,
  toChannelsLast,
  tripleOf,
  volumeWhat,
} from './volume-args';

export interface Conv3DTransposeArgs extends LayerArgs {
  filters: number;
  kernelSize: IntTriple;
  strides?: IntTriple;
  padding?: 'valid' | 'same';
  /** Extra cells at the end of each output axis, each < its stride; null (default): Keras' inferred size. */
  outputPadding?: IntTriple | null;
  /** 'channels_last' (default) or 'channels_first'. */
  dataFormat?: KerasDataFormat;
  dilationRate?: IntTriple;
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
  'outputPadding',
  'dataFormat',
  'dilationRate',
  'activation',
  'useBias',
  'kernelInitializer',
  'biasInitializer',
  'seed',
];

/**
 * Keras' Conv3DTranspose over volumes [batch, d1, d2, d3, channels]; kernel [k1, k2, k3,
 * filters, in] and bias [filters] as Keras, output sizes as Conv2DTranspose computes them
 * per axis. Composed of 2-D transposed convolutions: each of the k1 depth taps transposes
 * every input plane with that tap's [k2, k3] kernel (one batch), and its planes land at
 * depth i·s1 + t·d1 of the full output (zeros between them for a stride), which is then
 * cropped as TensorFlow's 'same' crops (the odd cell at the end); so it has conv2dTranspose's
 * kernels and gradients on every backend.
 */
export class Conv3DTranspose extends Layer {
  readonly filters: number;
  readonly kernelSize: [number, number, number];
  readonly strides: [number, number, number];
  readonly padding: 'valid' | 'same';
  readonly outputPadding: [number, number, number] | null;
  readonly dataFormat: KerasDataFormat;
  readonly dilationRate: [number, number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private readonly kernelInit: string;
  private readonly biasInit: string;
  private readonly seed: number | undefined;
  kernel!: Tensor;
  bias: Tensor | null = null;

  constructor(config: Conv3DTransposeArgs) {
    const a = layerOptions(
      'Conv3DTranspose',
      config,
      'an options object ({ filters, kernelSize, ... })',
      OPTIONS,
      new.target === Conv3DTranspose,
    );
    super(a);
    const who = this.label;
    this.filters = positiveInt(who, 'filters', a.filters);
    if (a.kernelSize === undefined || a.kernelSize === null) throw new ArgumentError(`${who}: kernelSize is required`);
    this.kernelSize = tripleOf(who, 'kernelSize', a.kernelSize, 1);
    this.strides = tripleOf(who, 'strides', a.strides, 1);
    this.padding = padding(who, a.padding);
    this.outputPadding = outputPaddingOf(who, a.outputPadding, this.strides) as [number, number, number] | null;
    this.dataFormat = dataFormat(who, a.dataFormat);
    this.dilationRate = tripleOf(who, 'dilationRate', a.dilationRate, 1);
    this.activation = activationName(a.activation, who);
    this.useBias = optionalBool(who, 'useBias', a.useBias, true);
    this.kernelInit = initializerOption(who, 'kernelInitializer', a.kernelInitializer, 'glorot_uniform');
    this.biasInit = initializerOption(who, 'biasInitializer', a.biasInitializer, 'zeros');
    this.seed = optionalSeed(who, a.seed);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Conv3DTranspose';
  }

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    const inC = shapeToLast(inputShape, this.dataFormat)[4];
    if (inC === null || inC < 1)
      throw new ShapeError(
        `${this.label}: the channel dimension must be known and positive, got input shape ${fmtKerasShape(inputShape)}`,
      );
    this.kernel = this.addWeight('kernel', [...this.kernelSize, this.filters, inC], this.kernelInit, {
      seed: this.seed,
    });
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInit);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 5, volumeWhat(this.dataFormat));
    const last = shapeToLast(s, this.dataFormat);
    const out = [0, 1, 2].map((i) =>
      transposeLength(
        last[i + 1],
        this.kernelSize[i],
        this.strides[i],
        this.padding,
        this.outputPadding?.[i] ?? null,
        this.dilationRate[i],
      ),
    );
    if (out.some((n) => n !== null && n < 1)) {
      throw new ShapeError(
        `${this.label}: input shape ${fmtKerasShape(s)} with kernelSize [${this.kernelSize.join(', ')}], strides [${this.strides.join(', ')}] and padding '${this.padding}' gives an empty output`,
      );
    }
    return shapeFromLast([s[0], ...out, this.filters], this.dataFormat);
  }

  override forward(x: Tensor): Tensor {
    const inC = this.kernel.shape[4];
    const cAxis = this.dataFormat === 'channels_last' ? 4 : 1;
    if (x.rank !== 5 || x.shape[cAxis] !== inC)
      throw new ShapeError(
        `${this.label}: expected ${volumeWhat(this.dataFormat).replace('channels', String(inC))}, got shape ${fmtShape(x.shape)}`,
      );
    const [, outD, outH, outW] = shapeToLast(
      this.computeOutputShape([null, ...x.shape.slice(1)]),
      this.dataFormat,
    ) as number[];
    const [k1, k2, k3] = this.kernelSize;
    const [s1, s2, s3] = this.strides;
    const [d1, d2, d3] = this.dilationRate;
    const F = this.filters;
    return tidy(() => {
      const v = toChannelsLast(x, this.dataFormat);
      const [B, D, H, W, C] = v.shape;
      const pads: [[number, number], [number, number]] = [
        transposePads(H, outH, k2, s2, d2),
        transposePads(W, outW, k3, s3, d3),
      ];
      const planes = reshape(v, [B * D, H, W, C]);
      // The full depth of the transposed output, before 'same' cropping: (D − 1)·s1 + (k1 − 1)·d1 + 1.
      const spread = (D - 1) * s1 + 1;
      const full = spread + (k1 - 1) * d1;
      let sum: Tensor | null = null;
      for (let t = 0; t < k1; t++) {
        const tap = reshape(slice(this.kernel, [t, 0, 0, 0, 0], [t + 1, null, null, null, null]), [k2, k3, F, C]);
        const y = reshape(
          conv2dTranspose(planes, tap, [B * D, outH, outW, F], {
            strides: [s2, s3],
            padding: pads,
            dilations: [d2, d3],
          }),
          [B, D, 1, outH, outW, F],
        );
        // Input plane i lands at depth i·s1 + t·d1: s1 − 1 zero planes after each, then the tap's offset.
        let z =
          s1 > 1
            ? slice(
                reshape(
                  pad(y, [
                    [0, 0],
                    [0, 0],
                    [0, s1 - 1],
                    [0, 0],
                    [0, 0],
                    [0, 0],
                  ]),
                  [B, D * s1, outH, outW, F],
                ),
                [0, 0, 0, 0, 0],
                [null, spread, null, null, null],
              )
            : reshape(y, [B, D, outH, outW, F]);
        z = pad(z, [
          [0, 0],
          [t * d1, full - spread - t * d1],
          [0, 0],
          [0, 0],
          [0, 0],
        ]);
        sum = sum ? sum.add(z) : z;
      }
      // Crop to Keras' length (the odd cell at the end), or add zero planes past the full output (outputPadding).
      const [before] = transposePads(D, outD, k1, s1, d1);
      const end = Math.min(full, before + outD);
      let out = slice(sum as Tensor, [0, before, 0, 0, 0], [null, end, null, null, null]);
      if (end - before < outD)
        out = pad(out, [
          [0, 0],
          [0, outD - (end - before)],
          [0, 0],
          [0, 0],
          [0, 0],
        ]);
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
      outputPadding: this.outputPadding,
      dataFormat: this.dataFormat,
      dilationRate: this.dilationRate,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInit,
      biasInitializer: this.biasInit,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}
