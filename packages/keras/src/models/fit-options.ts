import { ArgumentError } from '@tsdl/tensor';
import { Callback } from '../callbacks';
import type { TensorLike } from './data-args';
import { checkOptions, choiceOption, describeValue, intOption } from './options';

export interface FitArgs {
  /** Epochs to train to (a non-negative integer; with initialEpoch, the index of the last epoch + 1, as Keras). */
  epochs?: number;
  batchSize?: number;
  /**
   * Fraction of the samples (the last ones, before shuffling, as Keras) held
   * out for validation; ignored when validationData is given (as Keras).
   */
  validationSplit?: number;
  /** [x, y]: tensors, nested arrays or TypedArrays, as fit's x and y. */
  validationData?: [TensorLike, TensorLike];
  shuffle?: boolean;
  /** Seed of the per-epoch shuffles (epoch e uses seed + e). */
  seed?: number;
  callbacks?: Callback[];
  /** 0 silent, 1 progress bar (one line per epoch when not a terminal), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  initialEpoch?: number;
  /**
   * Batches between reads of the loss and metrics from the device: default 1
   * on a backend with synchronous reads (the CPU), 20 otherwise (a GPU). On a
   * GPU, onBatchEnd runs only at these reads (see the README, "Reads").
   */
  readEvery?: number;
}

export interface EvaluateArgs {
  batchSize?: number;
  /** Accepted for Keras code; evaluate prints nothing. */
  verbose?: 0 | 1;
}

export interface PredictArgs {
  batchSize?: number;
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

const FIT_KEYS = ['epochs', 'batchSize', 'validationSplit', 'validationData', 'shuffle', 'seed', 'callbacks', 'verbose', 'initialEpoch', 'readEvery'] as const;

/** Checks fit's options (names, types, ranges) before fit allocates anything. */
export function fitOptions(who: string, args: FitArgs | undefined): FitOptions {
  const a = checkOptions(who, args, FIT_KEYS);
  const split = a.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw new ArgumentError(`${who}: validationSplit must be in [0, 1), got ${describeValue(split)}`);
  const val = a.validationData;
  if (val !== undefined && (!Array.isArray(val) || val.length !== 2)) {
    throw new ArgumentError(`${who}: validationData must be [x, y], got ${describeValue(val)}`);
  }
  const callbacks = a.callbacks ?? [];
  if (!Array.isArray(callbacks)) throw new ArgumentError(`${who}: callbacks must be an array of Callback, got ${describeValue(callbacks)}`);
  callbacks.forEach((cb, i) => {
    if (!(cb instanceof Callback)) {
      throw new ArgumentError(`${who}: callbacks[${i}] must be a Callback (for plain functions: new LambdaCallback({ … })), got ${describeValue(cb)}`);
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
    verbose: choiceOption(who, 'verbose', a.verbose, [0, 1, 2] as const, 1),
    initialEpoch: intOption(who, 'initialEpoch', a.initialEpoch, 0, 0),
    readEvery: a.readEvery === undefined ? undefined : intOption(who, 'readEvery', a.readEvery, 1, 1),
  };
}

/** evaluate's options checked: the batch size. */
export function evaluateOptions(who: string, args: EvaluateArgs | undefined): { batchSize: number } {
  const a = checkOptions(who, args, ['batchSize', 'verbose']);
  choiceOption(who, 'verbose', a.verbose, [0, 1] as const, 0);
  return { batchSize: intOption(who, 'batchSize', a.batchSize, 1, 32) };
}

/** predict's options checked: the batch size. */
export function predictOptions(who: string, args: PredictArgs | undefined): { batchSize: number } {
  const a = checkOptions(who, args, ['batchSize']);
  return { batchSize: intOption(who, 'batchSize', a.batchSize, 1, 32) };
}
