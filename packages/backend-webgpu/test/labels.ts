import { ArgumentError, type Backend, type Tensor, add, cast, tensor } from '@tsdl/tensor';
import { expect } from 'vitest';
import { data } from './harness';

/**
 * Shared inputs of the index and label check tests (index-checks, index-status,
 * check-indices): N rows of C-class logits, good labels, the same with a bad one,
 * and ways to make int32 labels whose range the host knows (`ints`) or does not
 * (computed on the device: `castLabels`, `computedInts`).
 */

export const N = 6;
export const C = 4;
export const LOGITS = data(N * C, 41, -3, 3);
export const GOOD = [0, 3, 1, 2, 2, 1];
/** GOOD with a 7 (of 4 classes) at row 3. */
export const BAD = [0, 3, 1, 7, 2, 1];
export const TOL = { atol: 1e-6, rtol: 1e-5 };

export const floats = (b: Backend, values: readonly number[], shape = [values.length]): Tensor =>
  tensor(Float32Array.from(values), shape, 'float32', { backend: b });
/** int32 written from host data: the frontend knows its range. */
export const ints = (b: Backend, values: readonly number[]): Tensor =>
  tensor(Int32Array.from(values), [values.length], 'int32', { backend: b });
/** The first `rows` rows of LOGITS. */
export const logitsOn = (b: Backend, rows = N): Tensor => floats(b, LOGITS.slice(0, rows * C), [rows, C]);
/** int32 labels as Keras' fit makes them from float labels: a cast computed on the device, whose range the host does not know. */
export const castLabels = (b: Backend, values: readonly number[]): Tensor => cast(floats(b, values), 'int32');
/** int32 indices computed on the device: values − 1 + 1. */
export const computedInts = (b: Backend, values: readonly number[]): Tensor =>
  add(
    ints(
      b,
      values.map((v) => v - 1),
    ),
    ints(
      b,
      values.map(() => 1),
    ),
  );

export const values = async (t: Tensor): Promise<number[]> => Array.from(await t.data(), Number);

/** The read of `t` rejects with an ArgumentError whose message holds `text`. */
export async function expectReadRejects(t: Tensor, text: string): Promise<void> {
  const read = t.data();
  await expect(read).rejects.toThrow(ArgumentError);
  await expect(read).rejects.toThrow(text);
}
