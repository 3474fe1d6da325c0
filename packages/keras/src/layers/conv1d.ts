import { ArgumentError, type Padding2d, ShapeError, type Tensor, conv2d, reshape, tidy } from '@tsdl/tensor';
import { type ActivationName, activationName, getActivation } from '../activations';
import { initializerName } from '../initializers';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { optionalBool, optionalSeed, positiveInt } from './options';
import { checkGroupChannels, groupsOf } from './conv';

/** Keras' 1-D paddings: 'causal' pads the start only, so output[t] never reads input[t + 1:]. */
export type Padding1D = 'valid' | 'same' | 'causal';

/** A size along the time axis: a positive integer, or a list of one (as Keras' tuples). */
export function single(layer: string, name: string, v: unknown, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  const n = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0)
    throw new ArgumentError(`${layer}: ${name} must be a positive integer (or a list of one), got ${quote(v)}`);
  return n;
}

export function padding1d(layer: string, v: unknown, causal: boolean): Padding1D {
  if (v === undefined || v === null) return 'valid';
  if (v === 'valid' || v === 'same' || (causal && v === 'causal')) return v;
  throw new ArgumentError(
    `${layer}: padding must be ${causal ? "'valid', 'same' or 'causal'" : "'valid' or 'same'"}, got ${quote(v)}`,
  );
}

/**
 * The output length of a 1-D window over `steps` (null: unknown), as Keras computes it:
 * 'same' and 'causal' give ceil(steps / stride), 'valid' the windows that fit.
 */
export function length1d(
  steps: number | null,
  k: number,
  stride: number,
  padding: Padding1D,
  dilation = 1,
): number | null {
  if (steps === null) return null;
  if (padding !== 'valid') return Math.ceil(steps / stride);
  return Math.floor((steps - (k - 1) * dilation - 1) / stride) + 1;
}

/** The output length, or a ShapeError naming the layer when the window does not fit the input. */
export function checkedLength1d(
  label: string,
  s: PartialShape,
  w: { k: number; kName: string; stride: number; padding: Padding1D; dilation?: number; channels: number | null },
): number | null {
  const n = length1d(s[1], w.k, w.stride, w.padding, w.dilation ?? 1);
  if (n !== null && n < 1) {
    throw new ShapeError(
      `${label}: input shape ${fmtKerasShape(s)} is too small for ${w.kName} ${w.k} with strides ${w.stride}, padding '${w.padding}'` +
        `${w.dilation !== undefined ? ` and dilationRate ${w.dilation}` : ''}: the output would be ${fmtKerasShape([s[0], n, w.channels])}`,
    );
  }
  return n;
}

export interface Conv1DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number];
  strides?: number | [number];
  padding?: Padding1D;
  dilationRate?: number | [number];
  /** Channel groups (Keras 3); 1 (default) is a plain convolution. */
  groups?: number;
  activation?: string;
  useBias?: boolean;
  kernelInitializer?: string;
  biasInitializer?: string;
  seed?: number;
}

const CONV1D_OPTIONS = [
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
 * 1-D convolution over sequences [batch, steps, channels]; kernel [kernelSize, in / groups, filters]
 * (Keras' layout). Runs as conv2d over a [batch, 1, steps, channels] view, so it shares
 * that op's kernels and gradients on every backend.
 */
export class Conv1D extends Layer {
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Padding1D;
  readonly dilationRate: number;
  readonly groups: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private readonly kernelInit: string;
  private readonly biasInit: string;
  private readonly seed: number | undefined;
  kernel!: Tensor;
  bias: Tensor | null = null;

  constructor(config: Conv1DArgs) {
    const args = camelCaseKeys(config, 'Conv1D');
    if (args === null || typeof args !== 'object' || Array.isArray(args))
      throw new ArgumentError(`Conv1D: expected an options object ({ filters, kernelSize, ... }), got ${quote(args)}`);
    if (new.target === Conv1D) rejectUnknownOptions('Conv1D', args, CONV1D_OPTIONS);
    super(args);
    const who = this.label;
    this.filters = positiveInt(who, 'filters', args.filters);
    if (args.kernelSize === undefined || args.kernelSize === null)
      throw new ArgumentError(`${who}: kernelSize is required`);
    this.kernelSize = single(who, 'kernelSize', args.kernelSize, 1);
    this.strides = single(who, 'strides', args.strides, 1);
    this.dilationRate = single(who, 'dilationRate', args.dilationRate, 1);
    this.groups = groupsOf(who, args.groups, this.filters);
    this.padding = padding1d(who, args.padding, true);
    this.activation = activationName(args.activation, who);
    this.useBias = optionalBool(who, 'useBias', args.useBias, true);
    this.kernelInit = args.kernelInitializer ?? 'glorot_uniform';
    initializerName(this.kernelInit, who, 'kernelInitializer');
    this.biasInit = args.biasInitializer ?? 'zeros';
    initializerName(this.biasInit, who, 'biasInitializer');
    this.seed = optionalSeed(who, args.seed);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Conv1D';
  }

  override build(inputShape: PartialShape): void {
    // The rank and the output length are checked before any weight is made.
    this.computeOutputShape(inputShape);
    const inC = inputShape[2];
    if (inC === null || inC < 1)
      throw new ShapeError(
        `${this.label}: the channel dimension must be known and positive, got input shape ${fmtKerasShape(inputShape)}`,
      );
    checkGroupChannels(this.label, inputShape, inC, this.groups);
    this.kernel = this.addWeight('kernel', [this.kernelSize, inC / this.groups, this.filters], this.kernelInit, {
      seed: this.seed,
    });
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInit);
    this.built = true;
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

  /** The convolution plus bias, before the activation. */
  preActivation(x: Tensor): Tensor {
    // Checked on the real shape before anything is allocated: conv2d would name itself and a 4-D view.
    const inC = this.kernel.shape[1] * this.groups;
    if (x.rank !== 3 || x.shape[2] !== inC) {
      throw new ShapeError(
        `${this.label}: expected sequences [batch, steps, ${inC}], got shape [${x.shape.join(',')}]`,
      );
    }
    this.computeOutputShape([null, x.shape[1], x.shape[2]]);
    const [b, t, c] = x.shape;
    return tidy(() => {
      // Causal: the dilated window's reach in front of each step, as zeros (Keras pads, then convolves 'valid').
      const pad: Padding2d =
        this.padding === 'causal'
          ? [
              [0, 0],
              [this.dilationRate * (this.kernelSize - 1), 0],
            ]
          : this.padding;
      const y = conv2d(reshape(x, [b, 1, t, c]), reshape(this.kernel, [1, ...this.kernel.shape]), {
        strides: [1, this.strides],
        padding: pad,
        dilations: [1, this.dilationRate],
        ...(this.groups > 1 ? { groups: this.groups } : {}),
      });
      const out = reshape(y, [b, y.shape[2], this.filters]);
      return this.bias ? out.add(this.bias) : out;
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
      kernelSize: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      dilationRate: [this.dilationRate],
      groups: this.groups,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInit,
      biasInitializer: this.biasInit,
    };
  }
}
