import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  rand,
  reshape,
  slice,
  tidy,
  transpose,
  unstack,
  zeros,
} from '@tsdl/tensor';
import { applyDropout, fmtShape } from '@tsdl/tensor/internal';
import { type ActivationName, activationName, getActivation } from '../../activations';
import { quote } from '../../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from '../layer';
import { type KerasDataFormat, dataFormat, layerOptions } from '../layer-config';
import { checkMask } from '../mask-check';
import { optionalBool, padding, positiveInt } from '../options';
import { convNd } from './conv-nd';
import { setForgetBias } from './lstm';
import { cellSettings } from './rnn-base';
import { runRecurrence, stepMasksOf } from './rnn-loop';
import { windowLength } from '../volume/volume-args';

export interface ConvLSTMArgs extends LayerArgs {
  /** Channels of the output and of each state. */
  filters: number;
  /** One integer for every spatial axis, or one per axis. */
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: 'valid' | 'same';
  /** 'channels_last' (default: [batch, time, ...spatial, channels]) or 'channels_first' ([batch, time, channels, ...spatial]). */
  dataFormat?: KerasDataFormat;
  dilationRate?: number | number[];
  /** Default 'tanh'; null is linear. */
  activation?: string | null;
  /** The gates' activation (default 'sigmoid'). */
  recurrentActivation?: string | null;
  useBias?: boolean;
  kernelInitializer?: string;
  recurrentInitializer?: string;
  biasInitializer?: string;
  /** Start the forget gate's bias at 1 (default true). */
  unitForgetBias?: boolean;
  /** Fraction of the input dropped in training (one mask per sequence, shared by every step and gate). */
  dropout?: number;
  /** Fraction of the previous h dropped before the recurrent convolution in training (one mask per sequence). */
  recurrentDropout?: number;
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  /** Seed for the kernel (recurrent kernel: seed + 1) and the dropout masks. */
  seed?: number;
}

/** Options of a call: `layer.call(x, { mask, initialState })`. */
export interface ConvLSTMCallOptions {
  /** [batch, time] bool: false marks a padded step, which keeps the states and repeats the previous output. */
  mask?: Tensor | null;
  /** [h, c], each the shape of one step's output (in the layer's data format); zeros when omitted. */
  initialState?: readonly Tensor[] | null;
}

const OPTIONS = [
  ...LAYER_OPTIONS,
  'filters',
  'kernelSize',
  'strides',
  'padding',
  'dataFormat',
  'dilationRate',
  'activation',
  'recurrentActivation',
  'useBias',
  'kernelInitializer',
  'recurrentInitializer',
  'biasInitializer',
  'unitForgetBias',
  'dropout',
  'recurrentDropout',
  'returnSequences',
  'returnState',
  'goBackwards',
  'seed',
];

/** A size per spatial axis: one positive integer for all, or `rank` of them. */
function sizes(layer: string, name: string, v: unknown, rank: number, dflt: number): number[] {
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
  if (v === undefined || v === null) return new Array<number>(rank).fill(dflt);
  if (ok(v)) return new Array<number>(rank).fill(v);
  if (Array.isArray(v) && v.length === rank && v.every(ok)) return [...v];
  throw new ArgumentError(`${layer}: ${name} must be a positive integer or a list of ${rank}, got ${quote(v)}`);
}

/**
 * Keras' ConvLSTM1D/2D/3D: an LSTM whose input and recurrent products are convolutions
 * (Shi et al. 2015). Input [batch, time, ...spatial, channels]; kernel [...kernelSize,
 * channels, 4·filters], recurrent_kernel [...kernelSize, filters, 4·filters], bias
 * [4·filters], gates i, f, c, o along the last axis as Keras. Per step: z = conv(x_t,
 * kernel; strides, padding, dilationRate) + bias + conv(h, recurrent_kernel; 'same');
 * c_t = f ⊙ c + i ⊙ activation(z_c); h_t = o ⊙ activation(c_t). The input convolution
 * runs for every step at once; the steps run through the recurrent layers' time loop
 * (rnn-loop.ts), masks, goBackwards, returnSequences and returnState included.
 */
export abstract class ConvLSTM extends Layer {
  readonly rank: number;
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: KerasDataFormat;
  readonly dilationRate: number[];
  readonly activation: ActivationName;
  readonly recurrentActivation: ActivationName;
  readonly useBias: boolean;
  readonly unitForgetBias: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  private readonly kernelInit: string;
  private readonly recurrentInit: string;
  private readonly biasInit: string;
  private readonly seed: number | undefined;
  private calls = 0;
  kernel!: Tensor;
  recurrentKernel!: Tensor;
  bias: Tensor | null = null;

  protected constructor(className: string, rank: number, config: ConvLSTMArgs, exact: boolean) {
    const a = layerOptions(className, config, 'an options object ({ filters, kernelSize, ... })', OPTIONS, exact);
    super(a);
    const who = this.label;
    this.rank = rank;
    // The recurrent options checked as the LSTM checks them (filters in the place of units).
    positiveInt(who, 'filters', a.filters);
    const c = cellSettings(who, { ...a, units: a.filters });
    if (a.kernelSize === undefined || a.kernelSize === null) throw new ArgumentError(`${who}: kernelSize is required`);
    this.filters = c.units;
    this.kernelSize = sizes(who, 'kernelSize', a.kernelSize, rank, 1);
    this.strides = sizes(who, 'strides', a.strides, rank, 1);
    this.padding = padding(who, a.padding);
    this.dataFormat = dataFormat(who, a.dataFormat);
    this.dilationRate = sizes(who, 'dilationRate', a.dilationRate, rank, 1);
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      throw new ArgumentError(
        `${who}: strides [${this.strides.join(', ')}] > 1 cannot be combined with dilationRate [${this.dilationRate.join(', ')}] > 1 (as in Keras)`,
      );
    }
    this.activation = c.activation;
    this.recurrentActivation =
      a.recurrentActivation === undefined ? 'sigmoid' : activationName(a.recurrentActivation, who);
    this.useBias = c.useBias;
    this.unitForgetBias = optionalBool(who, 'unitForgetBias', a.unitForgetBias, true);
    this.dropout = c.dropout;
    this.recurrentDropout = c.recurrentDropout;
    this.returnSequences = optionalBool(who, 'returnSequences', a.returnSequences, false);
    this.returnState = optionalBool(who, 'returnState', a.returnState, false);
    this.goBackwards = optionalBool(who, 'goBackwards', a.goBackwards, false);
    this.kernelInit = c.kernelInit;
    this.recurrentInit = c.recurrentInit;
    this.biasInit = c.biasInit;
    this.seed = c.seed;
  }

  private get what(): string {
    const sp = ['dim1', 'dim2', 'dim3'].slice(0, this.rank).join(', ');
    return this.dataFormat === 'channels_last'
      ? `input [batch, time, ${sp}, channels]`
      : `input [batch, time, channels, ${sp}]`;
  }

  /** [batch, time, ...spatial, channels] from the layer's data format (a shape). */
  private toLast(s: PartialShape): PartialShape {
    return this.dataFormat === 'channels_last' ? s : [s[0], s[1], ...s.slice(3), s[2]];
  }

  override get takesMask(): boolean {
    return true;
  }

  override get outputCount(): number {
    return this.returnState ? 3 : 1;
  }

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    const inC = this.toLast(inputShape)[this.rank + 2];
    if (inC === null || inC < 1)
      throw new ShapeError(
        `${this.label}: the channel dimension must be known and positive, got input shape ${fmtKerasShape(inputShape)}`,
      );
    const g = 4 * this.filters;
    this.kernel = this.addWeight('kernel', [...this.kernelSize, inC, g], this.kernelInit, { seed: this.seed });
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel',
      [...this.kernelSize, this.filters, g],
      this.recurrentInit,
      { seed: this.seed === undefined ? undefined : this.seed + 1 },
    );
    if (this.useBias) {
      this.bias = this.addWeight('bias', [g], this.biasInit);
      if (this.unitForgetBias) setForgetBias(this.bias, this.filters);
    }
    this.built = true;
  }

  /** One step's output (and each state) in channels-last order: [batch, ...spatial, filters]. */
  private stepShape(s: PartialShape): PartialShape {
    const last = this.toLast(s);
    const out = this.kernelSize.map((k, i) =>
      windowLength(last[i + 2], k, this.strides[i], this.padding, this.dilationRate[i]),
    );
    if (out.some((n) => n !== null && n < 1)) {
      throw new ShapeError(
        `${this.label}: input shape ${fmtKerasShape(s)} is too small for kernelSize [${this.kernelSize.join(', ')}] with strides [${this.strides.join(', ')}], padding '${this.padding}' and dilationRate [${this.dilationRate.join(', ')}]`,
      );
    }
    return [s[0], ...out, this.filters];
  }

  private fromLastShape(s: PartialShape): PartialShape {
    return this.dataFormat === 'channels_last' ? s : [s[0], s[s.length - 1], ...s.slice(1, -1)];
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, this.rank + 3, this.what);
    const step = this.fromLastShape(this.stepShape(s));
    return this.returnSequences ? [step[0], s[1], ...step.slice(1)] : step;
  }

  override computeMask(_input: Tensor, mask: Tensor | null): Tensor | null {
    return this.returnSequences ? mask : null;
  }

  override outputMasked(inputMasked: boolean): boolean {
    return inputMasked && this.returnSequences;
  }

  /** channels_first ↔ channels_last for a tensor whose channel axis is `axis` (last), with `lead` leading axes. */
  private moveChannels(x: Tensor, lead: number, toLast: boolean): Tensor {
    if (this.dataFormat === 'channels_last') return x;
    const r = x.rank;
    const sp = Array.from({ length: r - lead - 1 }, (_, i) => i);
    const leadAxes = Array.from({ length: lead }, (_, i) => i);
    const perm = toLast
      ? [...leadAxes, ...sp.map((i) => lead + 1 + i), lead]
      : [...leadAxes, r - 1, ...sp.map((i) => lead + i)];
    return transpose(x, perm);
  }

  override forward(x: Tensor, options?: ConvLSTMCallOptions): Tensor | Tensor[] {
    const o = options ?? {};
    if (o === null || typeof o !== 'object')
      throw new ArgumentError(
        `${this.label}: call options must be an object ({ mask, initialState }), got ${quote(o)}`,
      );
    const who = this.label;
    for (const k of Object.keys(o))
      if (k !== 'mask' && k !== 'initialState')
        throw new ArgumentError(`${who} call: unknown option '${k}' (known: mask, initialState)`);
    if (!(x instanceof TensorClass)) throw new ArgumentError(`${who}: input must be a Tensor, got ${quote(x)}`);
    x.assertAlive(who);
    if (x.dtype !== 'float32')
      throw new DTypeError(`${who}: input must be float32, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
    const inC = this.kernel.shape[this.rank];
    const cAxis = this.dataFormat === 'channels_last' ? this.rank + 2 : 2;
    if (x.rank !== this.rank + 3 || x.shape[cAxis] !== inC) {
      throw new ShapeError(
        `${who}: expected ${this.what.replace('channels', String(inC))}, got shape ${fmtShape(x.shape)}`,
      );
    }
    if (x.shape[0] === 0 || x.shape[1] === 0)
      throw new ShapeError(
        `${who}: input of shape ${fmtShape(x.shape)} has no ${x.shape[1] === 0 ? 'time steps' : 'sequences'}`,
      );
    const stepLast = this.stepShape([null, ...x.shape.slice(1)]) as number[];
    const [B, T] = x.shape;
    const stateShape = [B, ...stepLast.slice(1)];
    const initial = this.checkInitialState(o.initialState, this.fromLastShape(stateShape) as number[]);
    const training = this.training;
    const call = this.calls++;
    return tidy(() => {
      const mask = o.mask === undefined || o.mask === null ? null : checkMask(who, o.mask, x);
      const seed = (k: number): number | undefined => (this.seed === undefined ? undefined : this.seed + 2 * call + k);
      const v = this.moveChannels(x, 2, true);
      const spatial = v.shape.slice(2);
      let frames = reshape(v, [B * T, ...spatial]);
      // One input mask per sequence, the same at every step (and for every gate), as Keras.
      if (training && this.dropout > 0) {
        const noise = rand([B, 1, ...spatial], { seed: seed(0), backend: x.backend });
        frames = reshape(applyDropout(reshape(frames, [B, T, ...spatial]), noise, this.dropout), [B * T, ...spatial]);
      }
      let xw = convNd(frames, this.kernel, this.strides, this.padding, this.dilationRate);
      if (this.bias) xw = xw.add(this.bias);
      const perStep = unstack(reshape(xw, [B, T, ...xw.shape.slice(1)]), 1);
      const recNoise =
        training && this.recurrentDropout > 0 ? rand(stateShape, { seed: seed(1), backend: x.backend }) : null;
      const init = initial
        ? initial.map((s) => this.moveChannels(s, 1, true))
        : [zeros(stateShape, 'float32', { backend: x.backend }), zeros(stateShape, 'float32', { backend: x.backend })];
      const F = this.filters;
      const ones = new Array<number>(this.rank).fill(1);
      const act = getActivation(this.activation);
      const recAct = getActivation(this.recurrentActivation);
      const gate = (z: Tensor, k: number): Tensor =>
        slice(
          z,
          [...new Array<number>(this.rank + 1).fill(0), k * F],
          [...new Array<null>(this.rank + 1).fill(null), (k + 1) * F],
        );
      const out = runRecurrence({
        inputs: perStep,
        init,
        initOut: initial ? zeros(stateShape, 'float32', { backend: x.backend }) : init[0],
        // The loop's [batch, 1] step masks, as [batch, 1, …, 1] for the spatial states.
        stepMasks: mask
          ? stepMasksOf(mask).map((m) => reshape(m, [B, ...new Array<number>(this.rank + 1).fill(1)]))
          : null,
        goBackwards: this.goBackwards,
        returnSequences: this.returnSequences,
        returnState: this.returnState,
        zeroOutputForMask: false,
        step: (xt, [h, c]) => {
          const hRec = recNoise ? applyDropout(h, recNoise, this.recurrentDropout) : h;
          const z = xt.add(convNd(hRec, this.recurrentKernel, ones, 'same', ones));
          const cNew = recAct(gate(z, 1))
            .mul(c)
            .add(recAct(gate(z, 0)).mul(act(gate(z, 2))));
          const hNew = recAct(gate(z, 3)).mul(act(cNew));
          return { out: hNew, states: [hNew, cNew] };
        },
      });
      if (!Array.isArray(out)) return this.moveChannels(out, this.returnSequences ? 2 : 1, false);
      const [y, ...states] = out;
      return [
        this.moveChannels(y, this.returnSequences ? 2 : 1, false),
        ...states.map((s) => this.moveChannels(s, 1, false)),
      ];
    });
  }

  private checkInitialState(s: unknown, shape: number[]): Tensor[] | null {
    if (s === undefined || s === null) return null;
    const who = this.label;
    if (!Array.isArray(s) || s.length !== 2 || !s.every((t) => t instanceof TensorClass))
      throw new ArgumentError(`${who}: initialState must be a list [h, c] of 2 tensors, got ${quote(s)}`);
    s.forEach((t: Tensor, i) => {
      t.assertAlive(who);
      if (t.dtype !== 'float32') throw new DTypeError(`${who}: initialState[${i}] must be float32, got ${t.dtype}`);
      if (t.rank !== shape.length || t.shape.some((d, k) => d !== shape[k]))
        throw new ShapeError(
          `${who}: initialState[${i}] has shape ${fmtShape(t.shape)} but expected ${fmtShape(shape)} (one step's output)`,
        );
    });
    return s as Tensor[];
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
      activation: this.activation,
      recurrentActivation: this.recurrentActivation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInit,
      recurrentInitializer: this.recurrentInit,
      biasInitializer: this.biasInit,
      unitForgetBias: this.unitForgetBias,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}

/** Keras' ConvLSTM1D: sequences of [steps, channels] frames, input [batch, time, steps, channels]. */
export class ConvLSTM1D extends ConvLSTM {
  constructor(config: ConvLSTMArgs) {
    super('ConvLSTM1D', 1, config, new.target === ConvLSTM1D);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'ConvLSTM1D';
  }
}

/** Keras' ConvLSTM2D: sequences of images, input [batch, time, rows, cols, channels]. */
export class ConvLSTM2D extends ConvLSTM {
  constructor(config: ConvLSTMArgs) {
    super('ConvLSTM2D', 2, config, new.target === ConvLSTM2D);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'ConvLSTM2D';
  }
}

/** Keras' ConvLSTM3D: sequences of volumes, input [batch, time, dim1, dim2, dim3, channels]. */
export class ConvLSTM3D extends ConvLSTM {
  constructor(config: ConvLSTMArgs) {
    super('ConvLSTM3D', 3, config, new.target === ConvLSTM3D);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'ConvLSTM3D';
  }
}
