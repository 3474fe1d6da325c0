import type { Backend } from '../backend';
import type { TypedArray } from '../dtype';
import { ArgumentError } from '../errors';
import type { Storage } from '../storage';
import type { Tensor } from '../tensor';
import { cast, ge, logicalAnd, logicalOr, lt, ne } from '../ops/elementwise';
import { argmax, any } from '../ops/reduce';
import { concat, gather, reshape } from '../ops/shape';
import { unrecorded } from '../ops/unrecorded';

/**
 * The reference lowering of Backend.checkIndices: the check as core kernels on the
 * device, and its report at the next read from that backend (`Tensor.data()` settles
 * the pending checks first), so it neither stalls the call nor lets a bad index pass.
 * Only a backend without `readSync` gets here: where the backend reads synchronously,
 * the frontend has checked every index at the call (ops/index-range.ts).
 */

interface PendingCheck {
  /** int32 [3]: any bad value (0/1), the first one's position, its value. */
  readonly found: Storage;
  readonly op: string;
  readonly size: number;
  readonly ignore: number | undefined;
}

const pending = new WeakMap<Backend, PendingCheck[]>();

/** Checks that every value of int32 `indices` lies in [0, size) or equals `ignore`; reports the first bad one at the next read. */
export function checkIndices(indices: Tensor, size: number, op: string, ignore?: number): void {
  if (indices.size === 0) return;
  const found = unrecorded(() => {
    const flat = reshape(indices, [indices.size]);
    const outside = logicalOr(lt(flat, 0), ge(flat, size));
    const bad = ignore === undefined ? outside : logicalAnd(outside, ne(flat, ignore));
    const first = argmax(bad, 0, true);
    return concat([reshape(cast(any(bad), 'int32'), [1]), first, gather(flat, first)]);
  });
  const list = pending.get(indices.backend) ?? [];
  list.push({ found: found.storage.retain(), op, size, ignore });
  pending.set(indices.backend, list);
  found.dispose();
}

/** Reads the checks pending on `backend` (each once) and throws for the first that found a bad index. */
export async function settleIndexChecks(backend: Backend): Promise<void> {
  const list = pending.get(backend);
  if (list === undefined || list.length === 0) return;
  pending.delete(backend);
  let results: TypedArray[];
  try {
    results = await Promise.all(list.map((c) => backend.read(c.found.data)));
  } catch (e) {
    // The backend reported an error of its own at this read: the checks wait for the next one.
    pending.set(backend, [...list, ...(pending.get(backend) ?? [])]);
    throw e;
  }
  for (const c of list) c.found.release();
  for (let i = 0; i < list.length; i++) {
    const [bad, at, value] = results[i];
    if (!bad) continue;
    const c = list[i];
    const besides = c.ignore === undefined ? '' : ` other than ${c.ignore}`;
    throw new ArgumentError(
      `${c.op}: an index outside [0, ${c.size})${besides} was found on the device: ${value} at position ${at} ` +
        `(indices computed on the device are checked when a result is read, so this read reports it)`,
    );
  }
}
