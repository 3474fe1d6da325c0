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
  zeros,
} from '@tsdl/tensor';
import { applyDropout, fmtShape } from '@tsdl/tensor/internal';
import { type ActivationName, activationName, getActivation } from '../../activations';
import { quote } from '../../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from '../layer';
import { layerOptions } from '../layer-config';
import { optionalBool } from '../options';
import { biasRow, gruInputBias, gruStep } from './gru';
import { lstmStep, setForgetBias } from './lstm';
import { type CellSettings, cellSettings } from './rnn-base';
import { simpleStep } from './simple-rnn';

/**
 * Keras' recurrent cells (SimpleRNNCell, LSTMCell, GRUCell): one step of SimpleRNN, LSTM
 * or GRU, with the same weights (`kernel` [features, gates·units], `recurrent_kernel`,
 * `bias`), options, defaults and step math as those layers (the functions in
 * simple-rnn.ts, lstm.ts and gru.ts). `RNN` runs a cell over a sequence with the
 * layers' time loop (rnn-loop.ts), so `new RNN(new LSTMCell(8))` computes what
 * `new LSTM(8)` does from the same weights.
 */

export interface RNNCellArgs extends LayerArgs {
  units: number;
  /** Default 'tanh'; null is linear. */
  activation?: string | null;
  useBias?: boolean;
  kernelInitializer?: string;
  recurrentInitializer?: string;
  biasInitializer?: string;
  /** Fraction of the input features dropped in training (one mask per sequence under RNN). */
  dropout?: number;
  /** Fraction of the previous state dropped before the recurrent product in training. */
  recurrentDropout?: number;
  /** Seed for the kernel (recurrent kernel: seed + 1) and the dropout masks. */
  seed?: number;
}

export const CELL_OPTIONS = [
  ...LAYER_OPTIONS,
  'units',
  'activation',
  'useBias',
  'kernelInitializer',
  'recurrentInitializer',
  'biasInitializer',
  'dropout',
  'recurrentDropout',
  'seed',
];

/** A cell's work over one sequence: its dropout masks are drawn once and shared by every step, as Keras'. */
export interface CellRun {
  /** The input's share of the steps: x [batch, time, features] → [batch, time, G], or [batch, features] → [batch, G] (input dropout and bias included). */
  project(x: Tensor): Tensor;
  /** One step from the projected input and the states: the output and the new states. */
  step(xw: Tensor, states: Tensor[]): { out: Tensor; states: Tensor[] };
}

/** What RNN asks of a cell: its state and output sizes, and a run per sequence. */
export interface SequenceCell {
  readonly stateSize: number[];
  readonly outputSize: number;
  begin(batch: number, training: boolean, like: Tensor): CellRun;
}

/** The states of a cell call: a tensor or a list. */
function stateList(label: string, s: unknown, batch: number, sizes: readonly number[]): Tensor[] {
  const list = s instanceof TensorClass ? [s] : s;
  if (!Array.isArray(list) || list.length !== sizes.length || !list.every((t) => t instanceof TensorClass)) {
    throw new ArgumentError(
      `${label}: states must be a list of ${sizes.length} tensors [batch, units] (${sizes.join(', ')} units), got ${quote(s)}`,
    );
  }
  list.forEach((t: Tensor, i) => {
    t.assertAlive(label);
    if (t.rank !== 2 || t.shape[0] !== batch || t.shape[1] !== sizes[i]) {
      throw new ShapeError(
        `${label}: states[${i}] has shape ${fmtShape(t.shape)} but expected ${fmtShape([batch, sizes[i]])}`,
      );
    }
  });
  return list as Tensor[];
}

/** What the three built-in cells share: options, weights, dropout masks, the cell call. */
export abstract class RecurrentCell extends Layer implements SequenceCell {
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  protected readonly settings: CellSettings;
  private calls = 0;
  kernel!: Tensor;
  recurrentKernel!: Tensor;
  bias: Tensor | null = null;

  protected constructor(a: RNNCellArgs) {
    super(a);
    this.settings = cellSettings(this.label, a);
    ({
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
    } = this.settings);
  }

  /** Gate blocks in the kernels: 1 (SimpleRNN), 4 (LSTM), 3 (GRU). */
  protected abstract get gates(): number;
  /** The sizes of the states carried between steps ([units], or [units, units] for the LSTM: h, c). */
  abstract get stateSize(): number[];
  /** Creates the bias. */
  protected abstract buildBias(): Tensor;
  /** The new states from the projected input, the states and h as the recurrent product reads it; the output is the first. */
  protected abstract stepStates(xw: Tensor, states: Tensor[], hRec: Tensor): Tensor[];

  get outputSize(): number {
    return this.units;
  }

  protected inputBias(): Tensor | null {
    return this.bias;
  }

  protected act(x: Tensor): Tensor {
    return getActivation(this.activation)(x);
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, 2, 'the input of one step [batch, features]');
    const inDim = inputShape[1];
    if (inDim === null || inDim < 1)
      throw new ShapeError(
        `${this.label}: needs a known, positive number of features, got input shape ${fmtKerasShape(inputShape)}`,
      );
    const g = this.gates * this.units;
    const seed = this.settings.seed;
    this.kernel = this.addWeight('kernel', [inDim, g], this.settings.kernelInit, { seed });
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, g], this.settings.recurrentInit, {
      seed: seed === undefined ? undefined : seed + 1,
    });
    if (this.useBias) this.bias = this.buildBias();
    this.built = true;
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    return [inputShape[0], this.units];
  }

  /** The features the cell was built for (after build). */
  get inputSize(): number {
    return this.kernel.shape[0];
  }

  begin(batch: number, training: boolean, like: Tensor): CellRun {
    const call = this.calls++;
    const seed = (k: number): number | undefined =>
      this.settings.seed === undefined ? undefined : this.settings.seed + 2 * call + k;
    const recNoise =
      training && this.recurrentDropout > 0
        ? rand([batch, this.units], { seed: seed(1), backend: like.backend })
        : null;
    return {
      project: (x) => {
        const F = this.inputSize;
        let input = x;
        // One input mask per sequence, shared by every step (Keras' cached dropout mask).
        if (training && this.dropout > 0)
          input = applyDropout(
            x,
            rand(x.rank === 3 ? [batch, 1, F] : [batch, F], { seed: seed(0), backend: x.backend }),
            this.dropout,
          );
        const n = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
        let xw = matmul(reshape(input, [n, F]), this.kernel);
        const ib = this.inputBias();
        if (ib) xw = xw.add(ib);
        return reshape(xw, [...x.shape.slice(0, -1), this.gates * this.units]);
      },
      step: (xw, states) => {
        const hRec = recNoise ? applyDropout(states[0], recNoise, this.recurrentDropout) : states[0];
        const next = this.stepStates(xw, states, hRec);
        return { out: next[0], states: next };
      },
    };
  }

  /** Zeros for every state: [batch, size] each (Keras' get_initial_state). */
  getInitialState(batch: number): Tensor[] {
    return this.stateSize.map((n) => zeros([batch, n]));
  }

  /**
   * Keras' cell call: one step of x [batch, features] from `states` (a tensor or a list,
   * [batch, units] each); returns [output, newStates]. In training, dropout masks are drawn
   * for this call.
   */
  override forward(x: Tensor, states: Tensor | Tensor[]): [Tensor, Tensor[]] {
    if (!(x instanceof TensorClass)) throw new ArgumentError(`${this.label}: input must be a Tensor, got ${quote(x)}`);
    x.assertAlive(this.label);
    if (x.dtype !== 'float32')
      throw new DTypeError(`${this.label}: input must be float32, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
    if (x.rank !== 2 || x.shape[1] !== this.inputSize)
      throw new ShapeError(
        `${this.label}: expects one step [batch, ${this.inputSize}], got shape ${fmtShape(x.shape)}`,
      );
    const s = stateList(this.label, states, x.shape[0], this.stateSize);
    return tidy(() => {
      const run = this.begin(x.shape[0], this.training, x);
      const { out, states: next } = run.step(run.project(x), s);
      // The output as its own handle, so the caller may dispose both.
      return [reshape(out, out.shape), next];
    }) as [Tensor, Tensor[]];
  }

  override getConfig(): Record<string, unknown> {
    const c = this.settings;
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: c.kernelInit,
      recurrentInitializer: c.recurrentInit,
      biasInitializer: c.biasInit,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      ...(c.seed === undefined ? {} : { seed: c.seed }),
    };
  }
}

/** Keras' SimpleRNNCell: h_t = activation(x_t · kernel + h_{t−1} · recurrent_kernel + bias). */
export class SimpleRNNCell extends RecurrentCell {
  constructor(config: RNNCellArgs | number) {
    super(cellArgs('SimpleRNNCell', config, CELL_OPTIONS, new.target === SimpleRNNCell));
  }
  override get className(): string {
    return 'SimpleRNNCell';
  }
  protected get gates(): number {
    return 1;
  }
  get stateSize(): number[] {
    return [this.units];
  }
  protected buildBias(): Tensor {
    return this.addWeight('bias', [this.units], this.settings.biasInit);
  }
  protected stepStates(xw: Tensor, _states: Tensor[], hRec: Tensor): Tensor[] {
    return [simpleStep(xw, hRec, this.recurrentKernel, (t) => this.act(t))];
  }
}

export interface LSTMCellArgs extends RNNCellArgs {
  /** The gates' activation (default 'sigmoid'). */
  recurrentActivation?: string | null;
  /** Start the forget gate's bias at 1 (default true). */
  unitForgetBias?: boolean;
}

/** Keras' LSTMCell: gates i, f, c, o along the kernels' columns; states [h, c]. */
export class LSTMCell extends RecurrentCell {
  readonly recurrentActivation: ActivationName;
  readonly unitForgetBias: boolean;

  constructor(config: LSTMCellArgs | number) {
    const a = cellArgs(
      'LSTMCell',
      config,
      [...CELL_OPTIONS, 'recurrentActivation', 'unitForgetBias'],
      new.target === LSTMCell,
    );
    super(a);
    this.recurrentActivation =
      a.recurrentActivation === undefined ? 'sigmoid' : activationName(a.recurrentActivation, this.label);
    this.unitForgetBias = optionalBool(this.label, 'unitForgetBias', a.unitForgetBias, true);
  }
  override get className(): string {
    return 'LSTMCell';
  }
  protected get gates(): number {
    return 4;
  }
  get stateSize(): number[] {
    return [this.units, this.units];
  }
  protected buildBias(): Tensor {
    const b = this.addWeight('bias', [4 * this.units], this.settings.biasInit);
    if (this.unitForgetBias) setForgetBias(b, this.units);
    return b;
  }
  protected stepStates(xw: Tensor, states: Tensor[], hRec: Tensor): Tensor[] {
    const s = lstmStep(
      xw,
      states[1],
      hRec,
      this.recurrentKernel,
      this.units,
      (t) => this.act(t),
      getActivation(this.recurrentActivation),
    );
    return [s.h, s.c as Tensor];
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation, unitForgetBias: this.unitForgetBias };
  }
}

export interface GRUCellArgs extends RNNCellArgs {
  /** The gates' activation (default 'sigmoid'). */
  recurrentActivation?: string | null;
  /** Apply the reset gate after the recurrent product (default true): bias [2, 3·units]. */
  resetAfter?: boolean;
}

/** Keras' GRUCell: gates z, r, h along the kernels' columns; state [h]. */
export class GRUCell extends RecurrentCell {
  readonly recurrentActivation: ActivationName;
  readonly resetAfter: boolean;

  constructor(config: GRUCellArgs | number) {
    const a = cellArgs(
      'GRUCell',
      config,
      [...CELL_OPTIONS, 'recurrentActivation', 'resetAfter'],
      new.target === GRUCell,
    );
    super(a);
    this.recurrentActivation =
      a.recurrentActivation === undefined ? 'sigmoid' : activationName(a.recurrentActivation, this.label);
    this.resetAfter = optionalBool(this.label, 'resetAfter', a.resetAfter, true);
  }
  override get className(): string {
    return 'GRUCell';
  }
  protected get gates(): number {
    return 3;
  }
  get stateSize(): number[] {
    return [this.units];
  }
  protected buildBias(): Tensor {
    return this.addWeight('bias', this.resetAfter ? [2, 3 * this.units] : [3 * this.units], this.settings.biasInit);
  }
  protected override inputBias(): Tensor | null {
    return gruInputBias(this.bias, this.resetAfter);
  }
  protected stepStates(xw: Tensor, states: Tensor[], hRec: Tensor): Tensor[] {
    const recBias = this.bias && this.resetAfter ? biasRow(this.bias, 1) : null;
    return [
      gruStep(
        xw,
        states[0],
        hRec,
        this.recurrentKernel,
        recBias,
        this.units,
        this.resetAfter,
        (t) => this.act(t),
        getActivation(this.recurrentActivation),
      ),
    ];
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfter };
  }
}

/** The options of a cell constructor: units alone, or an object (snake_case accepted, unknown names refused). */
function cellArgs<T extends RNNCellArgs>(
  className: string,
  config: T | number,
  known: readonly string[],
  exact: boolean,
): T {
  if (typeof config === 'number') return { units: config } as T;
  return layerOptions(className, config, 'units or an options object ({ units, ... })', known, exact);
}
