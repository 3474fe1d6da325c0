import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  matmul,
  rand,
  reshape,
  tidy,
  transpose,
  unstack,
  zeros,
} from '@tsdl/tensor';
import { applyDropout, fmtShape } from '@tsdl/tensor/internal';
import { type ActivationName, activationName, getActivation } from '../../activations';
import { camelCaseKeys, rejectUnknownOptions } from '../../config-keys';
import { initializerName } from '../../initializers';
import { quote } from '../../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from '../layer';
import { checkMask } from '../mask-check';
import { checkInitialState, runRecurrence, stepMasksOf } from './rnn-loop';
import { numberIn, optionalBool, optionalSeed, positiveInt } from '../options';

/** Options every Keras recurrent layer takes (Keras' names, camelCased; snake_case is accepted too). */
export interface RecurrentArgs extends LayerArgs {
  /** Features of the output and of each state. */
  units: number;
  /** Default 'tanh'; null is linear. */
  activation?: string | null;
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: string;
  /** Default 'orthogonal'. */
  recurrentInitializer?: string;
  /** Default 'zeros'. */
  biasInitializer?: string;
  /** Fraction of the input features dropped in training (one mask per sequence, shared by every step). */
  dropout?: number;
  /** Fraction of the previous state dropped before the recurrent product in training (one mask per sequence). */
  recurrentDropout?: number;
  /** Return every step's output [batch, time, units] instead of the last [batch, units] (default false). */
  returnSequences?: boolean;
  /** Also return the final states: [output, h] ([output, h, c] for an LSTM) (default false). */
  returnState?: boolean;
  /** Read the sequence from its last step to its first; with returnSequences the outputs come in that (reversed) order (default false). */
  goBackwards?: boolean;
  /** At a masked step output zeros instead of the previous output (default false; Bidirectional sets it with returnSequences, as Keras). */
  zeroOutputForMask?: boolean;
  /** Seed for the initial kernel (recurrent kernel: seed + 1) and for dropout masks. */
  seed?: number;
}

/** Options of a call: `layer.call(x, { mask, initialState })`. */
export interface RecurrentCallOptions {
  /** [batch, time] bool: false marks a padded step, which neither updates the state nor the output. */
  mask?: Tensor | null;
  /** The initial states ([h], or [h, c] for an LSTM), each [batch, units]; zeros when omitted. */
  initialState?: Tensor | readonly Tensor[] | null;
}

export const RECURRENT_OPTIONS = [
  ...LAYER_OPTIONS,
  'units',
  'activation',
  'useBias',
  'kernelInitializer',
  'recurrentInitializer',
  'biasInitializer',
  'dropout',
  'recurrentDropout',
  'returnSequences',
  'returnState',
  'goBackwards',
  'zeroOutputForMask',
  'seed',
];

/** The state a cell carries from step to step: h, and the LSTM's c. */
export interface CellState {
  h: Tensor;
  c: Tensor | null;
}

/** The options a Keras recurrent cell takes, checked (shared by the layers and the cells). */
export interface CellSettings {
  units: number;
  activation: ActivationName;
  useBias: boolean;
  kernelInit: string;
  recurrentInit: string;
  biasInit: string;
  dropout: number;
  recurrentDropout: number;
  seed: number | undefined;
}

/** Checks the cell options of `a` (Keras' defaults: tanh, glorot_uniform, orthogonal, zeros, no dropout); errors name `who`. */
export function cellSettings(
  who: string,
  a: Omit<RecurrentArgs, 'returnSequences' | 'returnState' | 'goBackwards' | 'zeroOutputForMask'>,
): CellSettings {
  const init = (option: string, v: string | undefined, dflt: string): string => {
    const name = v ?? dflt;
    initializerName(name, who, option);
    return name;
  };
  const rate = (option: string, v: number | undefined): number =>
    v === undefined || v === null ? 0 : numberIn(who, option, v, 0, 1, true);
  return {
    units: positiveInt(who, 'units', a.units),
    // Keras: activation=None is linear, an omitted one tanh.
    activation: a.activation === undefined ? 'tanh' : activationName(a.activation, who),
    useBias: optionalBool(who, 'useBias', a.useBias, true),
    kernelInit: init('kernelInitializer', a.kernelInitializer, 'glorot_uniform'),
    recurrentInit: init('recurrentInitializer', a.recurrentInitializer, 'orthogonal'),
    biasInit: init('biasInitializer', a.biasInitializer, 'zeros'),
    dropout: rate('dropout', a.dropout),
    recurrentDropout: rate('recurrentDropout', a.recurrentDropout),
    seed: optionalSeed(who, a.seed),
  };
}

/** The options object of a recurrent layer (snake_case keys camelCased, unknown names refused), or an ArgumentError naming the class. */
export function recurrentOptions<T extends RecurrentArgs>(
  className: string,
  config: T | number,
  known: readonly string[],
  exact: boolean,
): T {
  const a = typeof config === 'number' ? ({ units: config } as T) : camelCaseKeys(config, className);
  if (a === null || typeof a !== 'object' || Array.isArray(a))
    throw new ArgumentError(`${className}: expected units or an options object ({ units, ... }), got ${quote(a)}`);
  // A subclass checks its own, longer list.
  if (exact) rejectUnknownOptions(className, a, known);
  return a;
}

/**
 * What SimpleRNN, LSTM and GRU share (Keras' RNN layer around a cell): Keras'
 * weights (`kernel` [features, gates·units], `recurrent_kernel` [units,
 * gates·units], `bias`), batch-first input [batch, time, features], masks,
 * goBackwards, returnSequences / returnState and dropout.
 *
 * The input's share of every step is one matmul over [batch·time, features];
 * each step then multiplies the state by the recurrent kernel and applies the
 * gates under its own tidy. Everything is composed of differentiable ops, so
 * autograd gives the gradients.
 */
export abstract class RecurrentLayer extends Layer {
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  /** Mutable: Bidirectional sets it to returnSequences, as Keras does. */
  zeroOutputForMask: boolean;
  protected readonly kernelInit: string;
  protected readonly recurrentInit: string;
  protected readonly biasInit: string;
  protected readonly seed: number | undefined;
  private calls = 0;
  kernel!: Tensor;
  recurrentKernel!: Tensor;
  bias: Tensor | null = null;

  protected constructor(a: RecurrentArgs) {
    super(a);
    const who = this.label;
    const c = cellSettings(who, a);
    this.units = c.units;
    this.activation = c.activation;
    this.useBias = c.useBias;
    this.kernelInit = c.kernelInit;
    this.recurrentInit = c.recurrentInit;
    this.biasInit = c.biasInit;
    this.dropout = c.dropout;
    this.recurrentDropout = c.recurrentDropout;
    this.returnSequences = optionalBool(who, 'returnSequences', a.returnSequences, false);
    this.returnState = optionalBool(who, 'returnState', a.returnState, false);
    this.goBackwards = optionalBool(who, 'goBackwards', a.goBackwards, false);
    this.zeroOutputForMask = optionalBool(who, 'zeroOutputForMask', a.zeroOutputForMask, false);
    this.seed = c.seed;
  }

  /** Gate blocks in the kernels: 1 (SimpleRNN), 4 (LSTM), 3 (GRU). */
  protected abstract get gates(): number;

  /** States carried between steps: 1, or 2 for the LSTM (h, c). */
  abstract get stateCount(): number;

  /** Creates the bias (its shape and initial values are the cell's). */
  protected abstract buildBias(): Tensor;

  /** The bias added to the input's product for every step at once (the GRU with resetAfter adds only its first row there). */
  protected inputBias(): Tensor | null {
    return this.bias;
  }

  /**
   * One step: the new state from the input's share `xw` [batch, gates·units] (bias
   * included), the previous state and `hRec`, the previous h as the recurrent
   * product reads it (with recurrent dropout applied). Called under tidy.
   */
  protected abstract step(xw: Tensor, prev: CellState, hRec: Tensor): CellState;

  /**
   * The whole sequence as one op, where the layer has one for its settings (never with
   * recurrent dropout; the caller checks that): from xw [batch, time, gates·units] (bias
   * included, in time order), the initial states (`given`: the caller's, not zeros) and the
   * checked mask, the final states, the last step's output and a getter of every step's output
   * [batch, time, units] in processing order, as the per-step loop (runRecurrence) gives them.
   * Null: run the per-step loop.
   */
  protected fusedSequence(
    _xw: Tensor,
    _init: Tensor[],
    _mask: Tensor | null,
    _given: boolean,
  ): { states: Tensor[]; last: Tensor; sequence: () => Tensor } | null {
    return null;
  }

  protected act(x: Tensor): Tensor {
    return getActivation(this.activation)(x);
  }

  override get takesMask(): boolean {
    return true;
  }

  override get outputCount(): number {
    return this.returnState ? 1 + this.stateCount : 1;
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, 3, 'input [batch, time, features]');
    const inDim = inputShape[2];
    if (inDim === null || inDim < 1)
      throw new ShapeError(
        `${this.label}: needs a known, positive number of features, got input shape ${fmtKerasShape(inputShape)}`,
      );
    const g = this.gates * this.units;
    this.kernel = this.addWeight('kernel', [inDim, g], this.kernelInit, { seed: this.seed });
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, g], this.recurrentInit, {
      seed: this.seed === undefined ? undefined : this.seed + 1,
    });
    if (this.useBias) this.bias = this.buildBias();
    this.built = true;
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    return this.returnSequences ? [inputShape[0], inputShape[1], this.units] : [inputShape[0], this.units];
  }

  /** A mask goes on with the sequence (returnSequences) and ends here otherwise, as Keras. */
  override computeMask(_input: Tensor, mask: Tensor | null): Tensor | null {
    return this.returnSequences ? mask : null;
  }

  override outputMasked(inputMasked: boolean): boolean {
    return inputMasked && this.returnSequences;
  }

  override forward(x: Tensor, options?: RecurrentCallOptions): Tensor | Tensor[] {
    const o = options ?? {};
    if (o === null || typeof o !== 'object')
      throw new ArgumentError(
        `${this.label}: call options must be an object ({ mask, initialState }), got ${quote(o)}`,
      );
    rejectUnknownOptions(`${this.label} call`, o, ['mask', 'initialState']);
    this.checkInput(x);
    const [B, T] = x.shape;
    const initial = checkInitialState(
      this.label,
      o.initialState,
      B,
      new Array<number>(this.stateCount).fill(this.units),
    );
    const training = this.training;
    const call = this.calls++;
    return tidy(() => {
      const mask = o.mask === undefined || o.mask === null ? null : checkMask(this.label, o.mask, x);
      const seed = (k: number): number | undefined => (this.seed === undefined ? undefined : this.seed + 2 * call + k);
      let input = x;
      // Keras draws one dropout mask per sequence and uses it at every step.
      if (training && this.dropout > 0)
        input = applyDropout(x, rand([B, 1, x.shape[2]], { seed: seed(0), backend: x.backend }), this.dropout);
      const recNoise =
        training && this.recurrentDropout > 0 ? rand([B, this.units], { seed: seed(1), backend: x.backend }) : null;
      const G = this.gates * this.units;
      let xw = matmul(reshape(input, [B * T, x.shape[2]]), this.kernel);
      const ib = this.inputBias();
      if (ib) xw = xw.add(ib);
      const zero = (): Tensor => zeros([B, this.units], 'float32', { backend: x.backend });
      const init = initial ?? Array.from({ length: this.stateCount }, zero);
      const fused = recNoise ? null : this.fusedSequence(reshape(xw, [B, T, G]), init, mask, initial !== null);
      if (fused) {
        const out = this.returnSequences ? fused.sequence() : fused.last;
        // Distinct handles, so the caller may dispose each result once.
        if (this.returnState) return [out, ...fused.states.map((s) => (s === out ? s.reshape(s.shape) : s))];
        return out;
      }
      return runRecurrence({
        inputs: unstack(transpose(reshape(xw, [B, T, G]), [1, 0, 2])),
        init,
        // Keras' "previous output" starts as zeros, whatever the initial state.
        initOut: initial ? zero() : init[0],
        stepMasks: mask ? stepMasksOf(mask) : null,
        goBackwards: this.goBackwards,
        returnSequences: this.returnSequences,
        returnState: this.returnState,
        zeroOutputForMask: this.zeroOutputForMask,
        step: (xt, prev) => {
          const hRec = recNoise ? applyDropout(prev[0], recNoise, this.recurrentDropout) : prev[0];
          const s = this.step(xt, { h: prev[0], c: prev[1] ?? null }, hRec);
          return { out: s.h, states: s.c ? [s.h, s.c] : [s.h] };
        },
      });
    });
  }

  private checkInput(x: Tensor): void {
    if (!(x instanceof TensorClass)) throw new ArgumentError(`${this.label}: input must be a Tensor, got ${quote(x)}`);
    x.assertAlive(this.label);
    if (x.rank !== 3)
      throw new ShapeError(
        `${this.label}: expects input of rank 3 [batch, time, features], got shape ${fmtShape(x.shape)}`,
      );
    if (x.dtype !== 'float32')
      throw new DTypeError(`${this.label}: input must be float32, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
    const features = this.kernel.shape[0];
    if (x.shape[2] !== features)
      throw new ShapeError(
        `${this.label}: input has ${x.shape[2]} features but the layer was built for ${features} (input shape ${fmtShape(x.shape)})`,
      );
    if (x.shape[0] === 0 || x.shape[1] === 0)
      throw new ShapeError(
        `${this.label}: input of shape ${fmtShape(x.shape)} has no ${x.shape[1] === 0 ? 'time steps' : 'sequences'}`,
      );
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInit,
      recurrentInitializer: this.recurrentInit,
      biasInitializer: this.biasInit,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      zeroOutputForMask: this.zeroOutputForMask,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}
