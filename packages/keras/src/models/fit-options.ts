import { ArgumentError } from '@tsdl/tensor';
import { Callback } from '../callbacks';
import type { DataArray } from './data-args';
import type { WithSnakeCase } from '../config-keys';
import { checkOptions, choiceOption, describeValue, intOption } from './options';

/**
 * Options of fit, evaluate and predict. Every name may also be spelt as in
 * Keras' Python API (`batch_size`, `validation_split`, `initial_epoch` …: see
 * WithSnakeCase); any other name is an error suggesting the nearest known one.
 */
export type FitArgs = WithSnakeCase<FitArgsCamel>;
export type EvaluateArgs = WithSnakeCase<EvaluateArgsCamel>;
export type PredictArgs = WithSnakeCase<PredictArgsCamel>;

/** Keras' verbose: 'auto' is 1 (a progress bar), as Keras 3 picks outside a notebook. */
export type Verbose = 0 | 1 | 2 | 'auto';

export interface FitArgsCamel {
  /** Epochs to train to (a non-negative integer; with initialEpoch, the index of the last epoch + 1, as Keras). */
  epochs?: number;
  batchSize?: number;
  /**
   * Fraction of the samples (the last ones, before shuffling, as Keras) held
   * out for validation; ignored when validationData is given (as Keras).
   */
  validationSplit?: number;
  /** [x, y]: tensors, nested arrays or TypedArrays, as fit's x and y. */
  validationData?: [DataArray, DataArray];
  shuffle?: boolean;
  /** Seed of the per-epoch shuffles (epoch e uses seed + e). */
  seed?: number;
  callbacks?: Callback[];
  /** 0 silent, 1 or 'auto' progress bar (one line per epoch when not a terminal), 2 one line per epoch. */
  verbose?: Verbose;
  initialEpoch?: number;
  /**
   * Batches between reads of the loss and metrics from the device: default 1
   * on a backend with synchronous reads (the CPU), 20 otherwise (a GPU). On a
   * GPU, onBatchEnd runs only at these reads (see the README, "Reads").
   */
  readEvery?: number;
}

export interface EvaluateArgsCamel {
  batchSize?: number;
  /** Accepted for Keras code; evaluate prints nothing. */
  verbose?: Verbose;
}

export interface PredictArgsCamel {
  batchSize?: number;
  /** Accepted for Keras code; predict prints nothing. */
  verbose?: Verbose;
}

/** FitArgs checked, with the defaults filled in (validationData is converted later: it may allocate). */
export interface FitOptions {
  epochs: number;
  batchSize: number;
  validationSplit: number;
  validationData: [unknown, unknown] | null;
  shuffle: boolean;
  seed: number;
  callbacks: Callback[];
  verbose: 0 | 1 | 2;
  initialEpoch: number;
  readEvery: number | undefined;
}

export const FIT_KEYS = [
  'epochs',
  'batchSize',
  'validationSplit',
  'validationData',
  'shuffle',
  'seed',
  'callbacks',
  'verbose',
  'initialEpoch',
  'readEvery',
] as const;

/** Checks fit's options (names, types, ranges) before fit allocates anything. */
export function fitOptions(who: string, args: FitArgs | undefined): FitOptions {
  const a = checkOptions<FitArgsCamel>(who, args, FIT_KEYS);
  const split = a.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1))
    throw new ArgumentError(`${who}: validationSplit must be in [0, 1), got ${describeValue(split)}`);
  const val = a.validationData;
  if (val !== undefined && (!Array.isArray(val) || val.length !== 2)) {
    throw new ArgumentError(`${who}: validationData must be [x, y], got ${describeValue(val)}`);
  }
  const callbacks = a.callbacks ?? [];
  if (!Array.isArray(callbacks))
    throw new ArgumentError(`${who}: callbacks must be an array of Callback, got ${describeValue(callbacks)}`);
  callbacks.forEach((cb, i) => {
    if (!(cb instanceof Callback)) {
      throw new ArgumentError(
        `${who}: callbacks[${i}] must be a Callback (for plain functions: new LambdaCallback({ … })), got ${describeValue(cb)}`,
      );
    }
  });
  return {
    epochs: intOption(who, 'epochs', a.epochs, 0, 1),
    batchSize: intOption(who, 'batchSize', a.batchSize, 1, 32),
    validationSplit: split,
    validationData: val ?? null,
    shuffle: choiceOption(who, 'shuffle', a.shuffle, [true, false], true),
    seed: intOption(who, 'seed', a.seed, Number.MIN_SAFE_INTEGER, 0),
    callbacks,
    verbose: verboseOption(who, a.verbose, [0, 1, 2] as const),
    initialEpoch: intOption(who, 'initialEpoch', a.initialEpoch, 0, 0),
    readEvery: a.readEvery === undefined ? undefined : intOption(who, 'readEvery', a.readEvery, 1, 1),
  };
}

/** verbose checked: one of `allowed` or 'auto' (1); 1 when not given. */
function verboseOption<V extends number>(who: string, value: unknown, allowed: readonly V[]): V {
  if (value === 'auto') return 1 as V;
  return choiceOption(who, 'verbose', value, [...allowed, 'auto'] as V[], 1 as V);
}

/** evaluate's options checked: the batch size (verbose is accepted and prints nothing). */
export function evaluateOptions(who: string, args: EvaluateArgs | undefined): { batchSize: number } {
  const a = checkOptions<EvaluateArgsCamel>(who, args, ['batchSize', 'verbose']);
  verboseOption(who, a.verbose, [0, 1, 2] as const);
  return { batchSize: intOption(who, 'batchSize', a.batchSize, 1, 32) };
}

/** predict's options checked: the batch size (verbose is accepted and prints nothing). */
export function predictOptions(who: string, args: PredictArgs | undefined): { batchSize: number } {
  const a = checkOptions<PredictArgsCamel>(who, args, ['batchSize', 'verbose']);
  verboseOption(who, a.verbose, [0, 1, 2] as const);
  return { batchSize: intOption(who, 'batchSize', a.batchSize, 1, 32) };
}

/**
 * compile's option names (beside these, Keras' snake_case spellings: `loss_weights`).
 * A feature compile gains adds its name here.
 */
export const COMPILE_KEYS: string[] = ['optimizer', 'loss', 'metrics', 'lossWeights', 'runEagerly'];

/**
 * compile's options object with snake_case names camelCased, checked for unknown names
 * (suggesting the nearest) and for the two it needs, before compile changes anything.
 */
export function compileOptions<T extends object>(who: string, args: T | undefined): T {
  if (args === undefined || args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new ArgumentError(
      `${who}: compile takes an options object ({ optimizer, loss, metrics }), got ${describeValue(args)}`,
    );
  }
  const a = checkOptions(who, args, COMPILE_KEYS as (keyof T & string)[]) as T & {
    optimizer?: unknown;
    loss?: unknown;
  };
  if (a.loss === undefined || a.optimizer === undefined)
    throw new ArgumentError(`${who}: compile needs an optimizer and a loss`);
  return a;
}
