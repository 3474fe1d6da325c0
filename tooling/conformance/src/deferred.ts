import { type Tensor, dispose, tidy } from '@tsdl/tensor';
import { view } from '@tsdl/tensor/internal';

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
 * the case and the body's own tensors are left alone. `afterReadRejects`
 * records a read that must fail instead (a backend without readSync reports
 * a bad index computed on the device when a result is read).
 */

interface Pending {
  handles: Tensor[];
  check: (values: number[][]) => void;
  /** Set by afterReadRejects: the read must reject, and this checks the error. */
  checkError?: (error: unknown) => void;
}

/** What reading one recorded entry gave: its values, or the error its read rejected with. */
type Outcome = { values: number[][] } | { error: unknown };

let current: Pending[] | null = null;

/** Records `check`, to run on the values of `tensors` (plain numbers, row-major) after the case body. */
export function afterRead(tensors: readonly Tensor[], check: (values: number[][]) => void): void {
  if (current === null) throw new Error('afterRead: only a case body run by runDeferred can defer a check');
  current.push({ handles: tensors.map((t) => view(t, t.shape, t.strides, t.offset).keep()), check });
}

/**
 * Records that reading `t` after the case body must reject, and `check` to run on the error.
 * Reads are issued in the order they were recorded, so a read recorded later sees what this
 * one left (a backend that reports a bad index at a read reports it to one read only).
 */
export function afterReadRejects(t: Tensor, check: (error: unknown) => void): void {
  if (current === null) throw new Error('afterReadRejects: only a case body run by runDeferred can defer a check');
  current.push({ handles: [view(t, t.shape, t.strides, t.offset).keep()], check: () => {}, checkError: check });
}

/** Reads one entry; a read that must reject gives its error rather than throwing it. */
async function settle(p: Pending): Promise<Outcome> {
  const read = Promise.all(p.handles.map(async (h) => Array.from(await h.data(), Number)));
  if (!p.checkError) return { values: await read };
  return read.then(
    (values) => ({ values }),
    (error: unknown) => ({ error }),
  );
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
    const outcomes = await Promise.all(pending.map(settle));
    pending.forEach((p, i) => {
      const o = outcomes[i];
      if ('error' in o) p.checkError?.(o.error);
      else if (p.checkError)
        throw new Error(
          `expected reading a tensor of shape [${p.handles[0].shape.join(',')}] to reject, but it gave values`,
        );
      else p.check(o.values);
    });
  } finally {
    dispose(pending.flatMap((p) => p.handles));
  }
}
