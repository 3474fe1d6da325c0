import { ArgumentError, type Backend, ShapeError, Tensor, reshape, squeeze } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { type PartialShape, fmtKerasShape } from '../layers/layer';
import { isStringSamples } from '../layers/string-input';
import { type DataArray, dataArg } from './data-args';
import { describeValue } from './options';

/**
 * What fit, evaluate and predict take for a model's inputs (and targets, and sample
 * weights): for one input, its data (a tensor, nested arrays, a TypedArray, strings); for
 * several, an array with one entry per input in the model's order, or an object keyed by
 * the inputs' names (their Input layers' names; for targets, the output layers' names).
 */
export type ModelData = DataArray | readonly DataArray[] | { readonly [name: string]: DataArray };

/** An object literal keyed by names (not a Tensor, an array, a Map or another class's instance). */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * Splits `value` (x, y or sampleWeight of `who`) into one entry per name in `names` (the
 * model's inputs or outputs, `kind` saying which). An entry is left undefined where the
 * value has none for that name; `need[i]` says whether entry i must be given (a target of
 * an output without a loss need not).
 */
export function splitByName(
  value: unknown,
  names: readonly string[],
  kind: 'inputs' | 'outputs',
  who: string,
  what: string,
  need: readonly boolean[],
): unknown[] {
  const listing = names.map((n) => `'${n}'`).join(', ');
  let parts: unknown[];
  if (isPlainObject(value)) {
    for (const k of Object.keys(value)) {
      if (!names.includes(k)) {
        throw new ArgumentError(
          `${who}: ${what} must be a Tensor, nested arrays of numbers or a TypedArray, or an object keyed by the model's ${kind} (${listing}), got an object whose entry '${k}' names none of them`,
        );
      }
    }
    parts = names.map((n) => value[n]);
  } else if (names.length === 1) {
    // A list holding exactly one tensor is that tensor (Keras takes [x] for a one-input model).
    parts = [Array.isArray(value) && value.length === 1 && value[0] instanceof Tensor ? value[0] : value];
  } else if (Array.isArray(value) && !isStringSamples(value)) {
    const list = value as unknown[];
    if (list.length !== names.length) {
      throw new ArgumentError(
        `${who}: the model has ${names.length} ${kind} (${listing}); ${what} must be a list of ${names.length} (one per ${kind.slice(0, -1)}) or an object keyed by name, got a list of ${list.length}`,
      );
    }
    parts = [...list];
  } else {
    throw new ArgumentError(
      `${who}: the model has ${names.length} ${kind} (${listing}); ${what} must be a list of ${names.length} or an object keyed by name, got ${describeValue(value)}`,
    );
  }
  // One name: what is not data gets dataArg's message ('y must be a Tensor …, got undefined').
  if (names.length > 1) {
    parts.forEach((p, i) => {
      if ((p === undefined || p === null) && need[i])
        throw new ArgumentError(`${who}: ${what} for '${names[i]}' is missing`);
    });
  }
  return parts;
}

/** The label of entry i of `what` in errors: 'x' for a one-input model, "x['image']" otherwise. */
export const entryLabel = (what: string, names: readonly string[], i: number): string =>
  names.length === 1 ? what : `${what}['${names[i]}']`;

/**
 * An input tensor fitted to the model's input shape as Keras 3 does (`_adjust_input_rank`):
 * one axis more of size 1 is squeezed, one axis less is added where the input's last size
 * is 1; one sample given without its batch axis is a ShapeError saying to add it. With
 * `strict`, any other difference in rank is a ShapeError (a functional model's inputs);
 * otherwise left to the layers (a Sequential model built from its first data).
 */
export function fitInputRank(
  t: Tensor,
  expected: PartialShape | null,
  who: string,
  label: string,
  strict: boolean,
  created: Tensor[],
): Tensor {
  if (expected === null || t.rank === expected.length) return t;
  const sample = expected.slice(1);
  if (t.rank === sample.length && sample.every((d, i) => d === null || d === t.shape[i])) {
    throw new ShapeError(
      `${who}: ${label} has shape ${fmtShape(t.shape)}, one sample without the batch axis; the model expects ${fmtKerasShape(expected)}: add the batch axis (shape ${fmtShape([1, ...t.shape])})`,
    );
  }
  let out: Tensor | null = null;
  if (t.rank === expected.length + 1 && t.shape[t.rank - 1] === 1) out = squeeze(t, -1);
  else if (t.rank === expected.length - 1 && expected[expected.length - 1] === 1) out = reshape(t, [...t.shape, 1]);
  if (out) {
    created.push(out);
    return out;
  }
  if (strict)
    throw new ShapeError(
      `${who}: ${label} has shape ${fmtShape(t.shape)}, but the model expects ${fmtKerasShape(expected)}`,
    );
  return t;
}

/** Targets of shape [N] for an output of shape [N, 1] (as Keras takes labels), as [N, 1]: a view. */
export function fitTargetRank(t: Tensor, output: PartialShape | null, created: Tensor[]): Tensor {
  if (output === null || t.rank !== output.length - 1 || output[output.length - 1] !== 1) return t;
  const out = reshape(t, [...t.shape, 1]);
  created.push(out);
  return out;
}

/** Sample weights for one output: one number per sample ([N] or [N, 1]), as float32. */
export function sampleWeightTensor(
  value: unknown,
  who: string,
  label: string,
  backend: Backend,
  created: Tensor[],
): Tensor {
  let t = dataArg(value, who, label, backend, created);
  if (t.rank === 2 && t.shape[1] === 1) {
    t = squeeze(t, -1);
    created.push(t);
  }
  if (t.rank !== 1)
    throw new ShapeError(
      `${who}: ${label} must hold one weight per sample (shape [N]), got shape ${fmtShape(t.shape)}`,
    );
  if (t.dtype !== 'float32') {
    t = t.cast('float32');
    created.push(t);
  }
  return t;
}

/** Throws a ShapeError unless every tensor has `n` samples. */
export function checkSampleCounts(who: string, entries: readonly [string, Tensor][]): void {
  const [firstLabel, first] = entries[0];
  for (const [label, t] of entries.slice(1)) {
    if (t.shape[0] !== first.shape[0]) {
      throw new ShapeError(
        `${who}: ${firstLabel} ${fmtShape(first.shape)} and ${label} ${fmtShape(t.shape)} have different numbers of samples (${first.shape[0]} vs ${t.shape[0]})`,
      );
    }
  }
}
