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
 * The lowering of Backend.checkIndices, for a backend without readSync (ops/index-range.ts):
 * the check as core kernels on the device, reported by the next Tensor.data() from that
 * backend, which settles the pending checks first, so it neither stalls the call nor lets
 * a bad index pass.
 */

/** Per backend: each check's int32 [3] result (any bad value 0/1, the first's position, its value) and what it checked. */
const pending = new WeakMap<Backend, { found: Storage; what: string }[]>();

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
  const what = `${op}: an index outside [0, ${size})${ignore === undefined ? '' : ` other than ${ignore}`}`;
  pending.set(indices.backend, [...(pending.get(indices.backend) ?? []), { found: found.storage.retain(), what }]);
  found.dispose();
}

/** Reads the checks pending on `backend` (each once) and throws for the first that found a bad index. */
export async function settleIndexChecks(backend: Backend): Promise<void> {
  const list = pending.get(backend) ?? [];
  if (list.length === 0) return;
  pending.delete(backend);
  let results: TypedArray[];
  try {
    results = await Promise.all(list.map((c) => backend.read(c.found.data)));
  } catch (e) {
    // The backend reported an error of its own: the checks wait for the next read.
    pending.set(backend, [...list, ...(pending.get(backend) ?? [])]);
    throw e;
  }
  for (const c of list) c.found.release();
  const i = results.findIndex(([bad]) => bad !== 0);
  if (i < 0) return;
  const [, at, value] = results[i];
  throw new ArgumentError(
    `${list[i].what} was found on the device: ${value} at position ${at} ` +
      `(indices computed on the device are checked when a result is read, so this read reports it)`,
  );
}
