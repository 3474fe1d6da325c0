import { type Tensor, dispose, tidy, view } from '@tsdl/tensor';

/**
 * Value checks that wait for an asynchronous read.
 *
 * A case body is synchronous and runs inside tidy(), so its intermediates are
 * freed as usual; but a GPU cannot be read synchronously. So the body does
 * not read: `afterRead(tensors, check)` records a check, and once tidy()
 * returns, `runDeferred` reads every recorded tensor with `await t.data()`
 * (all in one Promise.all: one GPU round trip per case) and runs the checks
 * in the order they were recorded. Each recorded tensor is held by a fresh
 * kept handle on its storage, disposed after the reads, so nothing outlives
 * the case and the body's own tensors are left alone.
 */

interface Pending {
  handles: Tensor[];
  check: (values: number[][]) => void;
}

let current: Pending[] | null = null;

/** Records `check`, to run on the values of `tensors` (plain numbers, row-major) after the case body. */
export function afterRead(tensors: readonly Tensor[], check: (values: number[][]) => void): void {
  if (current === null) throw new Error('afterRead: only a case body run by runDeferred can defer a check');
  current.push({ handles: tensors.map((t) => view(t, t.shape, t.strides, t.offset).keep()), check });
}

/** Runs a synchronous case body inside tidy(), then reads what it recorded and runs its checks. */
export async function runDeferred(body: () => void): Promise<void> {
  if (current !== null) throw new Error('runDeferred: cases cannot nest');
  const pending: Pending[] = [];
  current = pending;
  try {
    tidy(body);
  } catch (e) {
    dispose(pending.flatMap((p) => p.handles));
    throw e;
  } finally {
    current = null;
  }
  try {
    const values = await Promise.all(pending.map((p) => Promise.all(p.handles.map(async (h) => Array.from(await h.data(), Number)))));
    pending.forEach((p, i) => p.check(values[i]));
  } finally {
    dispose(pending.flatMap((p) => p.handles));
  }
}
