import { ArgumentError, type Backend, DTypeError, type Tensor } from '@tsdl/tensor';
import { quote } from '../names';

/** Text samples: one string per sample, or a list of strings per sample. */
export type StringSamples = readonly string[] | readonly (readonly string[])[];

/**
 * A layer that reads strings (TextVectorization, StringLookup). Tensors hold numbers only,
 * so such a layer works in two steps: `encodeStrings` turns a whole set of samples into the
 * int32 tensor its forward takes (on the host, where the strings are), and forward maps that
 * tensor to the output on its device. A model whose first layer reads strings takes string
 * samples in fit / evaluate / predict by encoding them once, then batching and shuffling the
 * encoded tensor like any other input (see models/string-samples.ts).
 */
export interface ReadsStrings {
  /** True when the layer takes strings (a StringLookup with invert takes indices). */
  readonly readsStrings: boolean;
  /** The samples as the tensor this layer's forward takes, on `backend`. */
  encodeStrings(samples: StringSamples, backend?: Backend): Tensor;
}

export function readsStrings(layer: unknown): layer is ReadsStrings {
  return typeof layer === 'object' && layer !== null && (layer as Partial<ReadsStrings>).readsStrings === true;
}

/** Whether `v` looks like string samples (its first entry a string, or a list starting with one): anything else is left to the tensor paths. */
export function isStringSamples(v: unknown): v is StringSamples {
  if (!Array.isArray(v) || v.length === 0) return false;
  const first: unknown = v[0];
  return typeof first === 'string' || (Array.isArray(first) && typeof first[0] === 'string');
}

/**
 * The samples as rows of strings, checked: `rowLength` (if given) strings per row, every
 * entry a string. A flat list is one string per row. Errors name the layer and the entry.
 */
export function stringRows(label: string, samples: unknown, rowLength?: number): string[][] {
  if (!Array.isArray(samples))
    throw new ArgumentError(`${label}: expected a list of strings (or of lists of strings), got ${quote(samples)}`);
  const flat = samples.length > 0 && !Array.isArray(samples[0]);
  const rows: string[][] = [];
  for (let i = 0; i < samples.length; i++) {
    const row: unknown = flat ? [samples[i]] : samples[i];
    if (!Array.isArray(row))
      throw new ArgumentError(
        `${label}: sample ${i} is ${quote(row)}, but sample 0 is a list; give every sample as a string or every one as a list`,
      );
    for (let j = 0; j < row.length; j++) {
      if (typeof row[j] !== 'string')
        throw new DTypeError(
          `${label}: expects strings, got ${quote(row[j])} (${typeof row[j]}) at ${flat ? `[${i}]` : `[${i}][${j}]`}`,
        );
    }
    if (rowLength !== undefined && row.length !== rowLength) {
      throw new ArgumentError(
        `${label}: expects ${rowLength} string${rowLength === 1 ? '' : 's'} per sample, got ${row.length} in sample ${i}`,
      );
    }
    rows.push(row as string[]);
  }
  return rows;
}
