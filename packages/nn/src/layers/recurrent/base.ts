import {
  ArgumentError,
  DTypeError,
  ShapeError,
  Tensor,
  concat,
  dropout,
  reshape,
  slice,
  stack,
  tidy,
  transpose,
  unsqueeze,
  where,
  zeros,
  unstack,
} from '@tsdl/tensor';
import { gruStates } from './fused/gru-sequence';
import { lstmStates } from './fused/lstm-sequence';
import { rnnStates } from './fused/rnn-sequence';
import { fmtShape, shapesEqual } from '@tsdl/tensor/internal';
import { uniform } from '../../init/initializers';
import { Module } from '../../module';
import { checkLengths, sequenceMask, stepMasks } from './lengths';
import { boolOption, checkOptionNames, positiveInt, seedOption } from './options';
import { type CellMode, GATES, type StepState, type StepWeights, cellStep, inputProjection } from './steps';

/** Options shared by RNN, LSTM and GRU (PyTorch's names, camelCased). */
export interface RecurrentOptions {
  /** Features of each input step; also accepted as the first constructor argument. */
  inputSize?: number;
  /** Features of the hidden state; also accepted as the second constructor argument. */
  hiddenSize?: number;
  /** Stacked layers, each reading the previous one's output (default 1). */
  numLayers?: number;
  /** Learn b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are [batch, seq, features] instead of [seq, batch, features] (default false; states stay [layers·directions, batch, hidden]). */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training mode only (default 0). */
  dropout?: number;
  /** Also run each layer from the last step to the first and concatenate both outputs (default false). */
  bidirectional?: boolean;
  /** Seed for the initial weights (parameter i uses seed + i); the global generator by default. */
  seed?: number;
}

/** Options of a forward call. */
export interface RecurrentForwardOptions {
  /**
   * The real length of each sequence of a padded batch (PyTorch's
   * `pack_padded_sequence(x, lengths, enforce_sorted=False)`): integers in
   * [1, seq], one per sequence, in any order. Steps past a sequence's length
   * do not change its result: their outputs are 0 (as `pad_packed_sequence`
   * gives, with `total_length` = seq), the final state is the one at its last
   * real step, and the reverse direction starts there.
   */
  lengths?: readonly number[] | Int32Array;
}

/** The option names every recurrent layer accepts. */
export const RECURRENT_OPTION_NAMES: readonly string[] = [
  'inputSize',
  'hiddenSize',
  'numLayers',
  'bias',
  'batchFirst',
  'dropout',
  'bidirectional',
  'seed',
];

let fusedSequences = true;

/**
 * Whether layers run each layer and direction as one fused sequence op (fused/), where they
 * can, or step by step; returns the previous setting. For tests, which compare the two.
 */
export function useFusedSequences(on: boolean): boolean {
  const prev = fusedSequences;
  fusedSequences = on;
  return prev;
}

/** The parameters of one layer and direction, as PyTorch names them. */
interface LayerWeights {
  wih: Tensor;
  whh: Tensor;
  bih: Tensor | null;
  bhh: Tensor | null;
  whr: Tensor | null;
}

/** The outputs of the whole stack of layers, before they are shaped for the caller. */
export interface RecurrentResult {
  output: Tensor;
  hN: Tensor;
  /** The LSTM's final cell states; null for RNN and GRU. */
  cN: Tensor | null;
}

/**
 * `new X(inputSize, hiddenSize, options)` or `new X({ inputSize, hiddenSize, … })`:
 * the options, with both sizes, checked for unknown names.
 */
export function sizesAndOptions<O extends { inputSize?: number; hiddenSize?: number }>(
  owner: string,
  known: readonly string[],
  first: number | O,
  hiddenSize: number | undefined,
  options: O | undefined,
): O & { inputSize: number; hiddenSize: number } {
  let o: O;
  if (typeof first === 'object' && first !== null) {
    if (hiddenSize !== undefined || options !== undefined) {
      throw new ArgumentError(`${owner}: pass either (inputSize, hiddenSize, options) or one options object, not both`);
    }
    checkOptionNames(owner, first, known);
    o = first;
  } else {
    const rest = options ?? ({} as O);
    checkOptionNames(
      owner,
      rest,
      known.filter((k) => k !== 'inputSize' && k !== 'hiddenSize'),
    );
    o = { ...rest, inputSize: first, hiddenSize };
  }
  return {
    ...o,
    inputSize: positiveInt(owner, 'inputSize', o.inputSize),
    hiddenSize: positiveInt(owner, 'hiddenSize', o.hiddenSize),
  };
}

/**
 * The machinery of RNN, LSTM and GRU (PyTorch's RNNBase): parameters named
 * and shaped as PyTorch's state dict, PyTorch's init, and the layer loop.
 *
 * For each layer and direction the input's contribution to every time step
 * is one matmul ([seq·batch, in] × W_ihᵀ); each step then multiplies only the
 * hidden state by W_hhᵀ and applies the gates, under its own tidy. Everything
 * is composed from differentiable ops, so autograd gives the gradients.
 */
export abstract class RNNBase extends Module {
  readonly mode: CellMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** LSTM's projection size (0: none); the hidden state has this many features when set. */
  readonly projSize: number;
  /** The name errors begin with. */
  protected readonly kind: string;
  private readonly weights: LayerWeights[] = [];

  protected constructor(
    kind: string,
    mode: CellMode,
    o: RecurrentOptions & { inputSize: number; hiddenSize: number; projSize?: number },
  ) {
    super();
    this.kind = kind;
    this.mode = mode;
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.numLayers = o.numLayers === undefined ? 1 : positiveInt(kind, 'numLayers', o.numLayers);
    this.bias = boolOption(kind, 'bias', o.bias, true);
    this.batchFirst = boolOption(kind, 'batchFirst', o.batchFirst, false);
    this.bidirectional = boolOption(kind, 'bidirectional', o.bidirectional, false);
    const p = o.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new ArgumentError(`${kind}: dropout must be a number in [0, 1], got ${String(p)}`);
    this.dropout = p;
    const proj = o.projSize ?? 0;
    if (proj !== 0 && positiveInt(kind, 'projSize', proj) >= o.hiddenSize) {
      throw new ArgumentError(
        `${kind}: projSize must be smaller than hiddenSize, got projSize ${proj} and hiddenSize ${o.hiddenSize}`,
      );
    }
    this.projSize = proj;
    const seed = seedOption(kind, o.seed);

    // PyTorch: every parameter ~ U(−1/√hidden, 1/√hidden), registered per layer and direction in this order.
    const H = this.hiddenSize;
    const Hout = this.outputHidden;
    const G = GATES[mode] * H;
    const bound = 1 / Math.sqrt(H);
    let index = 0;
    const make = (name: string, shape: number[]): Tensor =>
      this.registerParameter(
        name,
        uniform(shape, { a: -bound, b: bound, seed: seed === undefined ? undefined : seed + index++ }),
      );
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? this.inputSize : Hout * this.numDirections;
      for (let d = 0; d < this.numDirections; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const wih = make(`weight_ih${sfx}`, [G, inSize]);
        const whh = make(`weight_hh${sfx}`, [G, Hout]);
        const bih = this.bias ? make(`bias_ih${sfx}`, [G]) : null;
        const bhh = this.bias ? make(`bias_hh${sfx}`, [G]) : null;
        const whr = proj > 0 ? make(`weight_hr${sfx}`, [proj, H]) : null;
        this.weights.push({ wih, whh, bih, bhh, whr });
      }
    }
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Features of h (and of each direction's output): projSize when set, else hiddenSize. */
  get outputHidden(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /**
   * Checks the input, the initial states and the options, then runs every
   * layer. `h0`/`c0` are null for zeros. Shapes follow PyTorch: input
   * [seq, batch, in] (or [batch, seq, in] with batchFirst, or unbatched
   * [seq, in]); states [layers·directions, batch, hidden] ([…, hidden] unbatched).
   */
  protected run(
    input: Tensor,
    h0: Tensor | null,
    c0: Tensor | null,
    options: RecurrentForwardOptions | undefined,
  ): RecurrentResult {
    const owner = this.kind;
    checkOptionNames(owner, options ?? {}, ['lengths'], 'forward options');
    if (!(input instanceof Tensor)) throw new ArgumentError(`${owner}: input must be a Tensor`);
    input.assertAlive(owner);
    if (input.dtype !== 'float32')
      throw new DTypeError(`${owner}: input must be float32, got ${input.dtype} of shape ${fmtShape(input.shape)}`);
    const layout = this.batchFirst ? '[batch, seq, features]' : '[seq, batch, features]';
    if (input.rank !== 2 && input.rank !== 3) {
      throw new ShapeError(
        `${owner}: input must be 3-D ${layout} or 2-D (unbatched [seq, features]), got shape ${fmtShape(input.shape)}`,
      );
    }
    const features = input.shape[input.rank - 1];
    if (features !== this.inputSize) {
      throw new ShapeError(
        `${owner}: input has ${features} features but inputSize is ${this.inputSize} (input shape ${fmtShape(input.shape)})`,
      );
    }
    const batched = input.rank === 3;
    const T = batched && this.batchFirst ? input.shape[1] : input.shape[0];
    const B = batched ? input.shape[this.batchFirst ? 0 : 1] : 1;
    if (T === 0 || B === 0)
      throw new ShapeError(
        `${owner}: input of shape ${fmtShape(input.shape)} has no ${T === 0 ? 'time steps' : 'sequences'}`,
      );
    const DL = this.numLayers * this.numDirections;
    const Hout = this.outputHidden;
    this.checkState('h0', h0, batched ? [DL, B, Hout] : [DL, Hout], this.projSize > 0 ? 'projSize' : 'hiddenSize');
    this.checkState('c0', c0, batched ? [DL, B, this.hiddenSize] : [DL, this.hiddenSize], 'hiddenSize');
    const lengths = options?.lengths === undefined ? null : checkLengths(owner, options.lengths, B, T);

    return tidy(() => {
      // Time-major inside: [T, B, features]. A batch-first input is copied once by the reshape in runDirection.
      let x = batched ? (this.batchFirst ? transpose(input, [1, 0, 2]) : input) : unsqueeze(input, 1);
      const hInit = h0 && !batched ? unsqueeze(h0, 1) : h0;
      const cInit = c0 && !batched ? unsqueeze(c0, 1) : c0;
      const fused = fusedSequences && this.projSize === 0;
      const masks = lengths && !fused ? stepMasks(lengths, T, input.backend) : null;
      const mask = lengths && fused ? sequenceMask(lengths, T, input.backend) : null;
      const hN: Tensor[] = [];
      const cN: Tensor[] = [];
      for (let l = 0; l < this.numLayers; l++) {
        const outs: Tensor[] = [];
        for (let d = 0; d < this.numDirections; d++) {
          const k = l * this.numDirections + d;
          const init: StepState = {
            h: hInit ? layerState(hInit, k) : zeros([B, Hout], 'float32', { backend: input.backend }),
            c:
              this.mode !== 'lstm'
                ? null
                : cInit
                  ? layerState(cInit, k)
                  : zeros([B, this.hiddenSize], 'float32', { backend: input.backend }),
          };
          const r = fused
            ? this.fusedDirection(x, this.weights[k], init, d === 1, mask)
            : this.runDirection(x, this.weights[k], init, d === 1, masks);
          outs.push(r.out);
          hN.push(r.h);
          if (r.c) cN.push(r.c);
        }
        x = outs.length === 1 ? outs[0] : concat(outs, 2);
        if (l < this.numLayers - 1 && this.training && this.dropout > 0)
          x = dropout(x, this.dropout, { training: true });
      }
      const output = batched ? (this.batchFirst ? transpose(x, [1, 0, 2]) : x) : reshape(x, [T, x.shape[2]]);
      const unbatch = (s: Tensor[], h: number): Tensor => (batched ? stack(s, 0) : reshape(stack(s, 0), [DL, h]));
      return { output, hN: unbatch(hN, Hout), cN: cN.length > 0 ? unbatch(cN, this.hiddenSize) : null };
    });
  }

  /** One layer in one direction over x [T, B, in]: the output [T, B, hiddenOut] and the final state. */
  private runDirection(
    x: Tensor,
    w: LayerWeights,
    init: StepState,
    reverse: boolean,
    masks: (Tensor | null)[] | null,
  ): StepState & { out: Tensor } {
    const [T, B, inSize] = x.shape;
    const H = this.hiddenSize;
    const G = GATES[this.mode] * H;
    const stepWeights: StepWeights = { whh: w.whh, bhh: this.mode === 'gru' ? w.bhh : null, whr: w.whr };
    return tidy(() => {
      const xw = inputProjection(this.mode, reshape(x, [T * B, inSize]), w.wih, w.bih, w.bhh);
      const steps = unstack(reshape(xw, [T, B, G]));
      const outs = new Array<Tensor>(T);
      let state = init;
      let prevOut: Tensor | null = null;
      for (let i = 0; i < T; i++) {
        const t = reverse ? T - 1 - i : i;
        const mask = masks?.[t] ?? null;
        const prev = state;
        const next = tidy(() => {
          const s = cellStep(this.mode, H, steps[t], prev, stepWeights);
          if (!mask) return { h: s.h, c: s.c, out: s.h };
          // A finished (or, in reverse, not yet started) sequence keeps its state and outputs 0.
          return {
            h: where(mask, s.h, prev.h),
            c: s.c && where(mask, s.c, prev.c as Tensor),
            out: where(mask, s.h, 0),
          };
        });
        outs[t] = next.out;
        // Free the previous step's handles early (inference memory); the graph keeps what backward reads.
        if (prev.h !== init.h && prev.h !== prevOut) prev.h.dispose();
        if (prev.c && prev.c !== init.c) prev.c.dispose();
        prevOut = next.out;
        state = { h: next.h, c: next.c };
      }
      return { out: stack(outs, 0), h: state.h, c: state.c };
    });
  }

  /**
   * One layer in one direction as one fused op over the sequence (fused/): what runDirection
   * gives, with a [B, T] mask of the running sequences (null: all run every step). The op reads
   * W_hhᵀ as a view and GRU's b_hh as an input, so their gradients reach the parameters.
   */
  private fusedDirection(
    x: Tensor,
    w: LayerWeights,
    init: StepState,
    reverse: boolean,
    mask: Tensor | null,
  ): StepState & { out: Tensor } {
    const [T, B, inSize] = x.shape;
    const H = this.hiddenSize;
    const G = GATES[this.mode] * H;
    return tidy(() => {
      const xw = reshape(inputProjection(this.mode, reshape(x, [T * B, inSize]), w.wih, w.bih, w.bhh), [T, B, G]);
      const U = transpose(w.whh);
      const o = { timeMajor: true, reverse, sequence: true };
      const s =
        this.mode === 'lstm'
          ? lstmStates(xw, U, init.h, init.c as Tensor, mask, o)
          : this.mode === 'gru'
            ? gruStates(xw, U, init.h, w.bhh, mask, { ...o, zFirst: false })
            : rnnStates(xw, U, init.h, mask, { ...o, activation: this.mode === 'relu' ? 'relu' : 'tanh' });
      const hs = s.sequence as Tensor;
      // A finished (or, in reverse, not yet started) sequence outputs 0.
      const out = mask ? where(unsqueeze(transpose(mask, [1, 0]), 2), hs, 0) : hs;
      return { out, h: s.h, c: s.c };
    });
  }

  private checkState(name: string, s: Tensor | null, expected: number[], size: string): void {
    if (s === null) return;
    const owner = this.kind;
    if (!(s instanceof Tensor)) throw new ArgumentError(`${owner}: ${name} must be a Tensor or null`);
    s.assertAlive(`${owner}(${name})`);
    if (s.dtype !== 'float32') throw new DTypeError(`${owner}: ${name} must be float32, got ${s.dtype}`);
    if (!shapesEqual(s.shape, expected)) {
      const batchAxis = expected.length === 3 ? ', batch' : '';
      throw new ShapeError(
        `${owner}: ${name} has shape ${fmtShape(s.shape)} but expected ${fmtShape(expected)} (numLayers·numDirections${batchAxis}, ${size})`,
      );
    }
  }

  override extraRepr(): string {
    const parts = [`${this.inputSize}`, `${this.hiddenSize}`];
    if (this.projSize > 0) parts.push(`projSize=${this.projSize}`);
    if (this.numLayers !== 1) parts.push(`numLayers=${this.numLayers}`);
    if (!this.bias) parts.push('bias=false');
    if (this.batchFirst) parts.push('batchFirst=true');
    if (this.dropout !== 0) parts.push(`dropout=${this.dropout}`);
    if (this.bidirectional) parts.push('bidirectional=true');
    return parts.join(', ');
  }
}

/** Layer k's [B, H] slice of a [layers·directions, B, H] state: a view. */
function layerState(s: Tensor, k: number): Tensor {
  return reshape(slice(s, [k], [k + 1]), s.shape.slice(1));
}
