import { ArgumentError, ShapeError, type Tensor, conv2dTranspose, reshape, tidy } from '@tsdl/tensor';
import { type ActivationName, activationName, getActivation } from '../activations';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { rejectUnknownOptions } from '../config-keys';
import { type IntPair, pairOf } from './conv';
import { single } from './conv1d';
import { convOptions, initializerOption, outputPaddingOf } from './conv-args';
import { optionalBool, optionalSeed, padding, positiveInt } from './options';

/**
 * The output length of a transposed convolution along one axis, as Keras 3 computes it
 * (null: unknown). Without outputPadding, 'valid' gives (n − 1)·s + max(k, s) and 'same'
 * n·s; with it, (n − 1)·s + k − 2·⌊k/2⌋ ('same') or (n − 1)·s + k ('valid'), plus the
 * outputPadding; k is the dilated kernel (k − 1)·d + 1.
 */
export function transposeLength(
  size: number | null,
  k: number,
  stride: number,
  pad: 'valid' | 'same',
  outputPadding: number | null,
  dilation = 1,
): number | null {
  if (size === null) return null;
  const eff = (k - 1) * dilation + 1;
  if (pad === 'valid') return (size - 1) * stride + eff + (outputPadding ?? Math.max(eff, stride) - eff);
  return outputPadding === null ? size * stride : (size - 1) * stride + (eff % 2) + outputPadding;
}

/**
 * The padding, per side, of the convolution that the transposed one inverts, for an input
 * of `size` and Keras' output `length`: the full transposed output ((size − 1)·s + k) is
 * cropped to `length` with the odd cell at the end, as TensorFlow's 'same' pads; a length
 * beyond the full output (outputPadding, or a kernel shorter than the stride) adds zeros at
 * the end. Explicit, so an even kernel with 'same' works where TensorFlow refuses it
 * (Keras 3 on JAX gives these values).
 */
export function transposePads(
  size: number,
  length: number,
  k: number,
  stride: number,
  dilation: number,
): [number, number] {
  const full = (size - 1) * stride + (k - 1) * dilation + 1;
  const total = Math.max(full - length, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

interface TransposeGeometry {
  kernel: number[];
  strides: number[];
  padding: 'valid' | 'same';
  outputPadding: number[] | null;
  dilation: number[];
}

/** The spatial output sizes, or a ShapeError naming the layer when one is < 1 (an even kernel, 'same' and a 1-long input). */
function transposeOutput(
  label: string,
  s: PartialShape,
  spatial: (number | null)[],
  g: TransposeGeometry,
  filters: number,
): (number | null)[] {
  const out = spatial.map((n, i) =>
    transposeLength(n, g.kernel[i], g.strides[i], g.padding, g.outputPadding?.[i] ?? null, g.dilation[i]),
  );
  if (out.some((n) => n !== null && n < 1)) {
    throw new ShapeError(
      `${label}: input shape ${fmtKerasShape(s)} with kernelSize [${g.kernel.join(', ')}], strides [${g.strides.join(', ')}], padding '${g.padding}'` +
        `${g.outputPadding ? ` and outputPadding [${g.outputPadding.join(', ')}]` : ''} gives an empty output ${fmtKerasShape([s[0], ...out, filters])}`,
    );
  }
  return out;
}

export interface Conv2DTransposeArgs extends LayerArgs {
  filters: number;
  kernelSize: IntPair;
  strides?: IntPair;
  padding?: 'valid' | 'same';
  /** Extra rows/columns at the end of the output, each < its stride; null (default): Keras' inferred size. */
  outputPadding?: IntPair | [number, number] | null;
  dilationRate?: IntPair;
  activation?: string;
  useBias?: boolean;
  kernelInitializer?: string;
  biasInitializer?: string;
  seed?: number;
}

const TRANSPOSE_OPTIONS = [
  ...LAYER_OPTIONS,
  'filters',
  'kernelSize',
  'strides',
  'padding',
  'outputPadding',
  'dilationRate',
  'activation',
  'useBias',
  'kernelInitializer',
  'biasInitializer',
  'seed',
];

/**
 * The parts both transposed convolutions share: options, weights (Keras' kernel layout
 * [...kernelSize, filters, in]) and the bias and activation after the op.
 */
abstract class ConvTranspose extends Layer {
  readonly filters: number;
  readonly padding: 'valid' | 'same';
  readonly activation: ActivationName;
  readonly useBias: boolean;
  protected readonly kernelInit: string;
  protected readonly biasInit: string;
  protected readonly seed: number | undefined;
  kernel!: Tensor;
  bias: Tensor | null = null;

  constructor(args: Conv2DTransposeArgs | Conv1DTransposeArgs) {
    super(args);
    const who = this.label;
    this.filters = positiveInt(who, 'filters', args.filters);
    this.padding = padding(who, args.padding);
    this.activation = activationName(args.activation, who);
    this.useBias = optionalBool(who, 'useBias', args.useBias, true);
    this.kernelInit = initializerOption(who, 'kernelInitializer', args.kernelInitializer, 'glorot_uniform');
    this.biasInit = initializerOption(who, 'biasInitializer', args.biasInitializer, 'zeros');
    this.seed = optionalSeed(who, args.seed);
  }

  /** The kernel's spatial sizes. */
  protected abstract get window(): number[];

  /** Kernel and bias for `inC` input channels (the output shape is checked first, so a bad input makes no weight). */
  protected makeWeights(inputShape: PartialShape, inC: number | null): void {
    this.computeOutputShape(inputShape);
    if (inC === null || inC < 1)
      throw new ShapeError(
        `${this.label}: the channel dimension must be known and positive, got input shape ${fmtKerasShape(inputShape)}`,
      );
    this.kernel = this.addWeight('kernel', [...this.window, this.filters, inC], this.kernelInit, { seed: this.seed });
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInit);
    this.built = true;
  }

  /** The transposed convolution of `x` (channels last), checked against the built kernel first. */
  protected abstract transposed(x: Tensor): Tensor;

  override forward(x: Tensor): Tensor {
    return tidy(() => {
      const y = this.transposed(x);
      const z = this.bias ? y.add(this.bias) : y;
      return this.activation === 'linear' ? z : getActivation(this.activation)(z);
    });
  }

  protected commonConfig(): Record<string, unknown> {
    return {
      filters: this.filters,
      padding: this.padding,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInit,
      biasInitializer: this.biasInit,
    };
  }
}

/**
 * Transposed 2-D convolution (the gradient of Conv2D with respect to its input; "deconvolution")
 * over channels-last images; kernel [kH, kW, filters, in] as Keras and TF.js.
 */
export class Conv2DTranspose extends ConvTranspose {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly outputPadding: [number, number] | null;
  readonly dilationRate: [number, number];

  constructor(config: Conv2DTransposeArgs) {
    const args = convOptions('Conv2DTranspose', config, 'an options object ({ filters, kernelSize, ... })');
    if (new.target === Conv2DTranspose) rejectUnknownOptions('Conv2DTranspose', args, TRANSPOSE_OPTIONS);
    super(args);
    const who = this.label;
    this.kernelSize = pairOf(who, 'kernelSize', args.kernelSize ?? requiredKernel(who), 1);
    this.strides = pairOf(who, 'strides', args.strides, 1);
    this.dilationRate = pairOf(who, 'dilationRate', args.dilationRate, 1);
    this.outputPadding = outputPaddingOf(who, args.outputPadding, this.strides) as [number, number] | null;
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Conv2DTranspose';
  }

  protected override get window(): number[] {
    return this.kernelSize;
  }

  override build(inputShape: PartialShape): void {
    this.makeWeights(inputShape, inputShape[3]);
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 4, 'images [batch, height, width, channels]');
    const g = {
      kernel: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilationRate,
    };
    return [s[0], ...transposeOutput(this.label, s, [s[1], s[2]], g, this.filters), this.filters];
  }

  protected override transposed(x: Tensor): Tensor {
    const inC = this.kernel.shape[3];
    if (x.rank !== 4 || x.shape[3] !== inC)
      throw new ShapeError(
        `${this.label}: expected images [batch, height, width, ${inC}], got shape [${x.shape.join(',')}]`,
      );
    const [, h, w] = this.computeOutputShape([null, x.shape[1], x.shape[2], inC]) as number[];
    const pads: [[number, number], [number, number]] = [
      transposePads(x.shape[1], h, this.kernelSize[0], this.strides[0], this.dilationRate[0]),
      transposePads(x.shape[2], w, this.kernelSize[1], this.strides[1], this.dilationRate[1]),
    ];
    return conv2dTranspose(x, this.kernel, [x.shape[0], h, w, this.filters], {
      strides: this.strides,
      padding: pads,
      dilations: this.dilationRate,
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      ...this.commonConfig(),
      kernelSize: this.kernelSize,
      strides: this.strides,
      outputPadding: this.outputPadding,
      dilationRate: this.dilationRate,
    };
  }
}

export interface Conv1DTransposeArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number];
  strides?: number | [number];
  padding?: 'valid' | 'same';
  outputPadding?: number | [number] | null;
  dilationRate?: number | [number];
  activation?: string;
  useBias?: boolean;
  kernelInitializer?: string;
  biasInitializer?: string;
  seed?: number;
}

/**
 * Transposed 1-D convolution over sequences [batch, steps, channels]; kernel
 * [kernelSize, filters, in] as Keras. Runs as the 2-D op over a [batch, 1, steps, channels]
 * view, so it shares that op's kernels and gradients on every backend.
 */
export class Conv1DTranspose extends ConvTranspose {
  readonly kernelSize: number;
  readonly strides: number;
  readonly outputPadding: number | null;
  readonly dilationRate: number;

  constructor(config: Conv1DTransposeArgs) {
    const args = convOptions('Conv1DTranspose', config, 'an options object ({ filters, kernelSize, ... })');
    if (new.target === Conv1DTranspose) rejectUnknownOptions('Conv1DTranspose', args, TRANSPOSE_OPTIONS);
    super(args);
    const who = this.label;
    this.kernelSize = single(who, 'kernelSize', args.kernelSize ?? requiredKernel(who), 1);
    this.strides = single(who, 'strides', args.strides, 1);
    this.dilationRate = single(who, 'dilationRate', args.dilationRate, 1);
    this.outputPadding = outputPaddingOf(who, args.outputPadding, [this.strides])?.[0] ?? null;
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Conv1DTranspose';
  }

  protected override get window(): number[] {
    return [this.kernelSize];
  }

  override build(inputShape: PartialShape): void {
    this.makeWeights(inputShape, inputShape[2]);
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 3, 'sequences [batch, steps, channels]');
    const g = {
      kernel: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      outputPadding: this.outputPadding === null ? null : [this.outputPadding],
      dilation: [this.dilationRate],
    };
    return [s[0], ...transposeOutput(this.label, s, [s[1]], g, this.filters), this.filters];
  }

  protected override transposed(x: Tensor): Tensor {
    const inC = this.kernel.shape[2];
    if (x.rank !== 3 || x.shape[2] !== inC)
      throw new ShapeError(
        `${this.label}: expected sequences [batch, steps, ${inC}], got shape [${x.shape.join(',')}]`,
      );
    const [b, t] = x.shape;
    const [, n] = this.computeOutputShape([null, t, inC]) as number[];
    const y = conv2dTranspose(
      reshape(x, [b, 1, t, inC]),
      reshape(this.kernel, [1, ...this.kernel.shape]),
      [b, 1, n, this.filters],
      {
        strides: [1, this.strides],
        padding: [[0, 0], transposePads(t, n, this.kernelSize, this.strides, this.dilationRate)],
        dilations: [1, this.dilationRate],
      },
    );
    return reshape(y, [b, n, this.filters]);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      ...this.commonConfig(),
      kernelSize: [this.kernelSize],
      strides: [this.strides],
      outputPadding: this.outputPadding === null ? null : [this.outputPadding],
      dilationRate: [this.dilationRate],
    };
  }
}

function requiredKernel(who: string): never {
  throw new ArgumentError(`${who}: kernelSize is required`);
}
