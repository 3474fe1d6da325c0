import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  tidy,
  unstack,
  transpose,
  zeros,
} from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { camelCaseKeys, rejectUnknownOptions } from '../../config-keys';
import { quote } from '../../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from '../layer';
import { checkMask } from '../mask-check';
import { optionalBool } from '../options';
import { type CellRun, RecurrentCell, type SequenceCell } from './cells';
import type { RecurrentCallOptions } from './rnn-base';
import { checkInitialState, runRecurrence, stepMasksOf } from './rnn-loop';

/** A saved entry { className, config } turned back into a layer (the registry's layerFromConfig). */
type Deserialize = (entry: { className: string; config: Record<string, unknown> }) => Layer;

/**
 * A cell of one's own (Keras' custom cell): a Layer with `stateSize` (a number or a list)
 * and, optionally, `outputSize` (default stateSize[0]), whose call(x, states) takes one
 * step x [batch, features] and its states (a list) and returns [output, newStates].
 */
export interface CustomCell extends Layer {
  readonly stateSize: number | readonly number[];
  readonly outputSize?: number;
}

function sizesOf(cell: Layer): number[] {
  const s: unknown = (cell as unknown as Partial<CustomCell>).stateSize;
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
  if (ok(s)) return [s];
  if (Array.isArray(s) && s.length > 0 && s.every(ok)) return [...s];
  throw new ArgumentError(
    `${cell.name} (${cell.className}): a recurrent cell needs stateSize, a positive integer or a list of them, got ${quote(s)}`,
  );
}

/** RNN's view of any cell: built-in cells and StackedRNNCells run themselves; a custom cell's call is one step. */
function asSequenceCell(cell: Layer): SequenceCell {
  if (cell instanceof RecurrentCell || cell instanceof StackedRNNCells) return cell;
  const stateSize = sizesOf(cell);
  const out: unknown = (cell as unknown as Partial<CustomCell>).outputSize;
  return {
    stateSize,
    outputSize: typeof out === 'number' ? out : stateSize[0],
    begin: (): CellRun => ({
      project: (x) => x,
      step: (x, states) => {
        const r: unknown = (cell.call as unknown as (x: Tensor, s: Tensor[]) => unknown)(x, states);
        const bad = (): never => {
          throw new ArgumentError(
            `${cell.name} (${cell.className}): a cell's call must return [output, newStates] (a tensor and a list of ${stateSize.length}), got ${quote(r)}`,
          );
        };
        if (!Array.isArray(r) || r.length !== 2 || !(r[0] instanceof TensorClass)) bad();
        const [o, s] = r as [Tensor, unknown];
        const list = s instanceof TensorClass ? [s] : s;
        if (!Array.isArray(list) || list.length !== stateSize.length || !list.every((t) => t instanceof TensorClass))
          bad();
        return { out: o, states: list as Tensor[] };
      },
    }),
  };
}

export interface StackedRNNCellsArgs extends LayerArgs {
  cells: Layer[];
}

/**
 * Keras' StackedRNNCells: cells run one after the other at every step, each reading the
 * previous one's output; the states are every cell's, in order (flattened here, where
 * Keras nests them per cell). `new RNN(new StackedRNNCells([new LSTMCell(8), new LSTMCell(4)]))`,
 * or `new RNN([cell1, cell2])`.
 */
export class StackedRNNCells extends Layer implements SequenceCell {
  readonly cells: Layer[];

  constructor(config: Layer[] | StackedRNNCellsArgs) {
    const a = (
      Array.isArray(config) ? { cells: config } : camelCaseKeys(config, 'StackedRNNCells')
    ) as StackedRNNCellsArgs;
    if (a === null || typeof a !== 'object')
      throw new ArgumentError(
        `StackedRNNCells: expected a list of cells or an options object ({ cells }), got ${quote(a)}`,
      );
    if (new.target === StackedRNNCells) rejectUnknownOptions('StackedRNNCells', a, [...LAYER_OPTIONS, 'cells']);
    super(a);
    const cells: unknown = a.cells;
    if (!Array.isArray(cells) || cells.length === 0 || !cells.every((c) => c instanceof Layer)) {
      throw new ArgumentError(`${this.label}: cells must be a non-empty list of recurrent cells, got ${quote(cells)}`);
    }
    cells.forEach((c: Layer) => asSequenceCell(c));
    this.cells = [...cells];
  }

  /** Rebuilds a saved StackedRNNCells: its config holds the cells as { className, config }. */
  static fromConfig(config: Record<string, unknown>, deserialize: Deserialize): StackedRNNCells {
    const c = camelCaseKeys(config, 'StackedRNNCells');
    const cells: unknown = c.cells;
    if (!Array.isArray(cells))
      throw new ArgumentError(
        `StackedRNNCells: cells must be a list of saved cells { className, config }, got ${quote(cells)}`,
      );
    return new StackedRNNCells({
      ...(c as object),
      cells: cells.map((e) => deserialize(savedEntry(e, 'StackedRNNCells', 'a cell'))),
    } as StackedRNNCellsArgs);
  }

  override get className(): string {
    return 'StackedRNNCells';
  }

  get stateSize(): number[] {
    return this.cells.flatMap(sizesOf);
  }

  get outputSize(): number {
    return asSequenceCell(this.cells[this.cells.length - 1]).outputSize;
  }

  override build(inputShape: PartialShape): void {
    let features = inputShape[1];
    for (const c of this.cells) {
      c.ensureBuilt([inputShape[0], features]);
      features = asSequenceCell(c).outputSize;
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    return [inputShape[0], this.outputSize];
  }

  begin(batch: number, training: boolean, like: Tensor): CellRun {
    const cells = this.cells.map(asSequenceCell);
    const runs = cells.map((c) => c.begin(batch, training, like));
    return {
      project: (x) => runs[0].project(x),
      step: (xw, states) => {
        const next: Tensor[] = [];
        let k = 0;
        let out = xw;
        cells.forEach((c, i) => {
          const n = c.stateSize.length;
          const r = runs[i].step(i === 0 ? xw : runs[i].project(out), states.slice(k, k + n));
          k += n;
          out = r.out;
          next.push(...r.states);
        });
        return { out, states: next };
      },
    };
  }

  /** One step through every cell: [output, newStates] (all cells' states, in order). */
  override forward(x: Tensor, states: Tensor | Tensor[]): [Tensor, Tensor[]] {
    const list = states instanceof TensorClass ? [states] : states;
    const sizes = this.stateSize;
    checkInitialState(this.label, list, x.shape[0], sizes);
    return tidy(() => {
      const run = this.begin(x.shape[0], this.training, x);
      const { out, states: next } = run.step(run.project(x), list);
      return [out.reshape(out.shape), next];
    }) as [Tensor, Tensor[]];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), cells: this.cells.map((c) => ({ className: c.className, config: c.getConfig() })) };
  }
}

export interface RNNArgs extends LayerArgs {
  /** A cell (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells or one's own), or a list of cells (stacked). */
  cell: Layer | Layer[];
  /** Return every step's output [batch, time, units] instead of the last (default false). */
  returnSequences?: boolean;
  /** Also return the final states: [output, ...states] (default false). */
  returnState?: boolean;
  /** Read the sequence from its last step to its first (default false). */
  goBackwards?: boolean;
  /** Keras' stateful RNNs are not supported: only false. */
  stateful?: boolean;
  /** Accepted for Keras' configs; without effect (the loop runs step by step either way). */
  unroll?: boolean;
  /** At a masked step output zeros instead of the previous output (default false). */
  zeroOutputForMask?: boolean;
}

const RNN_OPTIONS = [
  ...LAYER_OPTIONS,
  'cell',
  'returnSequences',
  'returnState',
  'goBackwards',
  'stateful',
  'unroll',
  'zeroOutputForMask',
];

/**
 * Keras' RNN: runs a cell over sequences [batch, time, features] with the time loop, masks,
 * goBackwards, returnSequences and returnState of SimpleRNN, LSTM and GRU (which are RNN
 * around their cells in Keras). The cell's weights are this layer's ('cell/kernel' …).
 * `new RNN(new LSTMCell(8), { returnSequences: true })` or `new RNN({ cell, returnSequences })`.
 */
export class RNN extends Layer {
  readonly cell: Layer;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly unroll: boolean;
  zeroOutputForMask: boolean;

  constructor(cell: Layer | Layer[] | RNNArgs, options: Omit<RNNArgs, 'cell'> = {}) {
    const given = cell instanceof Layer || Array.isArray(cell);
    const a = (given ? { ...camelCaseKeys(options ?? {}, 'RNN'), cell } : camelCaseKeys(cell, 'RNN')) as RNNArgs;
    if (a === null || typeof a !== 'object')
      throw new ArgumentError(
        `RNN: expected a cell or an options object ({ cell, returnSequences, ... }), got ${quote(a)}`,
      );
    if (new.target === RNN) rejectUnknownOptions('RNN', a, RNN_OPTIONS);
    super(a);
    const c: unknown = a.cell;
    if (Array.isArray(c)) this.cell = new StackedRNNCells(c as Layer[]);
    else if (c instanceof Layer) this.cell = c;
    else
      throw new ArgumentError(
        `${this.label}: cell must be a recurrent cell (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, a Layer with stateSize) or a list of them, got ${quote(c)}`,
      );
    asSequenceCell(this.cell);
    this.returnSequences = optionalBool(this.label, 'returnSequences', a.returnSequences, false);
    this.returnState = optionalBool(this.label, 'returnState', a.returnState, false);
    this.goBackwards = optionalBool(this.label, 'goBackwards', a.goBackwards, false);
    if (optionalBool(this.label, 'stateful', a.stateful, false))
      throw new ArgumentError(
        `${this.label}: stateful RNNs are not supported; carry the states yourself with returnState and initialState`,
      );
    this.unroll = optionalBool(this.label, 'unroll', a.unroll, false);
    this.zeroOutputForMask = optionalBool(this.label, 'zeroOutputForMask', a.zeroOutputForMask, false);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  /** Rebuilds a saved RNN: its config holds the cell as { className, config }. */
  static fromConfig(config: Record<string, unknown>, deserialize: Deserialize): RNN {
    const c = camelCaseKeys(config, 'RNN');
    return new RNN({ ...(c as object), cell: deserialize(savedEntry(c.cell, 'RNN', 'cell')) } as RNNArgs);
  }

  override get className(): string {
    return 'RNN';
  }

  private get seqCell(): SequenceCell {
    return asSequenceCell(this.cell);
  }

  /** States carried between steps (Bidirectional and initialState read it). */
  get stateCount(): number {
    return this.seqCell.stateSize.length;
  }

  override get takesMask(): boolean {
    return true;
  }

  override get outputCount(): number {
    return this.returnState ? 1 + this.stateCount : 1;
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, 3, 'input [batch, time, features]');
    if (inputShape[2] === null)
      throw new ShapeError(
        `${this.label}: needs a known number of features, got input shape ${fmtKerasShape(inputShape)}`,
      );
    this.cell.ensureBuilt([inputShape[0], inputShape[2]]);
    this.built = true;
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    const units = this.seqCell.outputSize;
    return this.returnSequences ? [inputShape[0], inputShape[1], units] : [inputShape[0], units];
  }

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
    if (!(x instanceof TensorClass)) throw new ArgumentError(`${this.label}: input must be a Tensor, got ${quote(x)}`);
    x.assertAlive(this.label);
    if (x.rank !== 3)
      throw new ShapeError(
        `${this.label}: expects input of rank 3 [batch, time, features], got shape ${fmtShape(x.shape)}`,
      );
    if (x.dtype !== 'float32')
      throw new DTypeError(`${this.label}: input must be float32, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
    const features = this.builtFeatures();
    if (features !== null && x.shape[2] !== features)
      throw new ShapeError(
        `${this.label}: input has ${x.shape[2]} features but the cell was built for ${features} (input shape ${fmtShape(x.shape)})`,
      );
    if (x.shape[0] === 0 || x.shape[1] === 0)
      throw new ShapeError(
        `${this.label}: input of shape ${fmtShape(x.shape)} has no ${x.shape[1] === 0 ? 'time steps' : 'sequences'}`,
      );
    const cell = this.seqCell;
    const [B] = x.shape;
    const initial = checkInitialState(this.label, o.initialState, B, cell.stateSize);
    const training = this.training;
    return tidy(() => {
      const mask = o.mask === undefined || o.mask === null ? null : checkMask(this.label, o.mask, x);
      const run = cell.begin(B, training, x);
      const xw = run.project(x);
      const init = initial ?? cell.stateSize.map((n) => zeros([B, n], 'float32', { backend: x.backend }));
      const sameSize = cell.stateSize[0] === cell.outputSize;
      return runRecurrence({
        inputs: unstack(transpose(xw, [1, 0, 2])),
        init,
        // Keras' "previous output" starts as zeros, whatever the initial state.
        initOut: initial || !sameSize ? zeros([B, cell.outputSize], 'float32', { backend: x.backend }) : init[0],
        stepMasks: mask ? stepMasksOf(mask) : null,
        goBackwards: this.goBackwards,
        returnSequences: this.returnSequences,
        returnState: this.returnState,
        zeroOutputForMask: this.zeroOutputForMask,
        step: run.step,
      });
    });
  }

  /** The features the (first) cell was built for, when it is a built-in one. */
  private builtFeatures(): number | null {
    let c: Layer = this.cell;
    while (c instanceof StackedRNNCells) c = c.cells[0];
    return c instanceof RecurrentCell && c.built ? c.inputSize : null;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      cell: { className: this.cell.className, config: this.cell.getConfig() },
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: false,
      unroll: this.unroll,
      zeroOutputForMask: this.zeroOutputForMask,
    };
  }
}

function savedEntry(v: unknown, owner: string, what: string): { className: string; config: Record<string, unknown> } {
  const e = v as { className?: unknown; config?: unknown } | null;
  if (
    e === null ||
    typeof e !== 'object' ||
    typeof e.className !== 'string' ||
    e.config === null ||
    typeof e.config !== 'object'
  ) {
    throw new ArgumentError(`${owner}: ${what} must be a saved layer { className, config }, got ${quote(v)}`);
  }
  return e as { className: string; config: Record<string, unknown> };
}
