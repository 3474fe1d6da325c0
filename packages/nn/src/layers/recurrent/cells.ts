import { ArgumentError, DTypeError, ShapeError, Tensor, reshape, tidy, unsqueeze, zeros } from '@tsdl/tensor';
import { fmtShape, shapesEqual } from '@tsdl/tensor/internal';
import { uniform } from '../../init/initializers';
import { Module } from '../../module';
import { sizesAndOptions } from './base';
import { type Nonlinearity, boolOption, nonlinearityOption, seedOption } from './options';
import { type CellMode, GATES, type StepState, cellStep, inputProjection } from './steps';

/**
 * Single-step cells for hand-written loops (PyTorch's RNNCell, LSTMCell,
 * GRUCell): the same equations and parameters (weight_ih, weight_hh,
 * bias_ih, bias_hh) as one layer of RNN / LSTM / GRU. Input [batch, in] or
 * unbatched [in]; states of the same leading shape; zeros when omitted.
 */

export interface CellOptions {
  inputSize?: number;
  hiddenSize?: number;
  /** Learn bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** Seed for the initial weights (parameter i uses seed + i). */
  seed?: number;
}

export interface RNNCellOptions extends CellOptions {
  nonlinearity?: Nonlinearity;
}

const CELL_OPTION_NAMES = ['inputSize', 'hiddenSize', 'bias', 'seed'];

abstract class CellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  readonly weight_ih: Tensor;
  readonly weight_hh: Tensor;
  readonly bias_ih: Tensor | null;
  readonly bias_hh: Tensor | null;
  protected readonly kind: string;
  protected readonly mode: CellMode;

  protected constructor(kind: string, mode: CellMode, o: CellOptions & { inputSize: number; hiddenSize: number }) {
    super();
    this.kind = kind;
    this.mode = mode;
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.bias = boolOption(kind, 'bias', o.bias, true);
    const seed = seedOption(kind, o.seed);
    const G = GATES[mode] * o.hiddenSize;
    const bound = 1 / Math.sqrt(o.hiddenSize);
    let index = 0;
    const make = (name: string, shape: number[]): Tensor =>
      this.registerParameter(
        name,
        uniform(shape, { a: -bound, b: bound, seed: seed === undefined ? undefined : seed + index++ }),
      );
    this.weight_ih = make('weight_ih', [G, o.inputSize]);
    this.weight_hh = make('weight_hh', [G, o.hiddenSize]);
    this.bias_ih = this.bias ? make('bias_ih', [G]) : null;
    this.bias_hh = this.bias ? make('bias_hh', [G]) : null;
  }

  /** Checks the input and states, runs one step; states are null for zeros. */
  protected step(input: Tensor, h0: Tensor | null, c0: Tensor | null): StepState {
    const owner = this.kind;
    if (!(input instanceof Tensor)) throw new ArgumentError(`${owner}: input must be a Tensor`);
    input.assertAlive(owner);
    if (input.dtype !== 'float32') throw new DTypeError(`${owner}: input must be float32, got ${input.dtype}`);
    if (input.rank !== 1 && input.rank !== 2) {
      throw new ShapeError(
        `${owner}: input must be 2-D [batch, features] or 1-D (unbatched), got shape ${fmtShape(input.shape)}`,
      );
    }
    const features = input.shape[input.rank - 1];
    if (features !== this.inputSize) {
      throw new ShapeError(
        `${owner}: input has ${features} features but inputSize is ${this.inputSize} (input shape ${fmtShape(input.shape)})`,
      );
    }
    const batched = input.rank === 2;
    const expected = batched ? [input.shape[0], this.hiddenSize] : [this.hiddenSize];
    for (const [name, s] of [
      ['h0', h0],
      ['c0', c0],
    ] as const) {
      if (s === null) continue;
      if (!(s instanceof Tensor)) throw new ArgumentError(`${owner}: ${name} must be a Tensor or null`);
      s.assertAlive(`${owner}(${name})`);
      if (s.dtype !== 'float32') throw new DTypeError(`${owner}: ${name} must be float32, got ${s.dtype}`);
      if (!shapesEqual(s.shape, expected)) {
        throw new ShapeError(
          `${owner}: ${name} has shape ${fmtShape(s.shape)} but expected ${fmtShape(expected)} for input of shape ${fmtShape(input.shape)}`,
        );
      }
    }
    return tidy(() => {
      const x = batched ? input : unsqueeze(input, 0);
      const B = x.shape[0];
      const state = (s: Tensor | null): Tensor =>
        s === null ? zeros([B, this.hiddenSize], 'float32', { backend: input.backend }) : batched ? s : unsqueeze(s, 0);
      const xw = inputProjection(this.mode, x, this.weight_ih, this.bias_ih, this.bias_hh);
      const s = cellStep(
        this.mode,
        this.hiddenSize,
        xw,
        { h: state(h0), c: this.mode === 'lstm' ? state(c0) : null },
        {
          whh: this.weight_hh,
          bhh: this.mode === 'gru' ? this.bias_hh : null,
          whr: null,
        },
      );
      const out = (t: Tensor): Tensor => (batched ? t : reshape(t, [this.hiddenSize]));
      return { h: out(s.h), c: s.c && out(s.c) };
    });
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=false'}`;
  }
}

/** h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu). `forward(x, h?)` returns h'. */
export class RNNCell extends CellBase {
  readonly nonlinearity: Nonlinearity;

  constructor(inputSize: number, hiddenSize: number, options?: Omit<RNNCellOptions, 'inputSize' | 'hiddenSize'>);
  constructor(options: RNNCellOptions & { inputSize: number; hiddenSize: number });
  constructor(first: number | RNNCellOptions, hiddenSize?: number, options?: RNNCellOptions) {
    const o = sizesAndOptions('RNNCell', [...CELL_OPTION_NAMES, 'nonlinearity'], first, hiddenSize, options);
    const nonlinearity = nonlinearityOption('RNNCell', o.nonlinearity);
    super('RNNCell', nonlinearity, o);
    this.nonlinearity = nonlinearity;
  }

  override forward(input: Tensor, hx?: Tensor | null): Tensor {
    return this.step(input, hx ?? null, null).h;
  }

  override extraRepr(): string {
    return this.nonlinearity === 'tanh'
      ? super.extraRepr()
      : `${super.extraRepr()}, nonlinearity='${this.nonlinearity}'`;
  }
}

/** One LSTM step (gates i, f, g, o). `forward(x, [h, c]?)` returns [h', c']. */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options?: Omit<CellOptions, 'inputSize' | 'hiddenSize'>);
  constructor(options: CellOptions & { inputSize: number; hiddenSize: number });
  constructor(first: number | CellOptions, hiddenSize?: number, options?: CellOptions) {
    super('LSTMCell', 'lstm', sizesAndOptions('LSTMCell', CELL_OPTION_NAMES, first, hiddenSize, options));
  }

  override forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    let h0: Tensor | null = null;
    let c0: Tensor | null = null;
    if (hx !== undefined && hx !== null) {
      if (!Array.isArray(hx) || hx.length !== 2 || !(hx[0] instanceof Tensor) || !(hx[1] instanceof Tensor)) {
        throw new ArgumentError('LSTMCell: the state must be a pair [h, c] of tensors (or null for zeros)');
      }
      [h0, c0] = hx;
    }
    const s = this.step(input, h0, c0);
    return [s.h, s.c as Tensor];
  }
}

/** One GRU step (gates r, z, n). `forward(x, h?)` returns h'. */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options?: Omit<CellOptions, 'inputSize' | 'hiddenSize'>);
  constructor(options: CellOptions & { inputSize: number; hiddenSize: number });
  constructor(first: number | CellOptions, hiddenSize?: number, options?: CellOptions) {
    super('GRUCell', 'gru', sizesAndOptions('GRUCell', CELL_OPTION_NAMES, first, hiddenSize, options));
  }

  override forward(input: Tensor, hx?: Tensor | null): Tensor {
    return this.step(input, hx ?? null, null).h;
  }
}
