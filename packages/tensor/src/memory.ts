import { liveTensorCount, popScope, pushScope } from './engine';
import { reclaimStats, releaseLost } from './handles';
import { ArgumentError } from './errors';
import { listBackends } from './registry';
import { Tensor } from './tensor';

/**
 * Memory management. JavaScript's GC cannot see device memory, so tensors are
 * released explicitly: `dispose()` one, or `tidy(fn)` to release everything
 * `fn` created except what it returns. A handle the GC collects without either
 * is released later by a safety net (handles.ts); memory().reclaimed counts
 * those, so a leak shows.
 */

type Tidyable = Tensor | Tidyable[] | { [k: string]: Tidyable } | void | number | string | boolean | null | undefined;

function collect(x: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 8 || x === null || typeof x !== 'object') return;
  if (x instanceof Tensor) {
    out.add(x);
  } else if (Array.isArray(x)) {
    for (const v of x) collect(v, out, depth + 1);
  } else if (Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x)) collect(v, out, depth + 1);
  }
}

/**
 * Runs `fn` and disposes every tensor created inside it, except the tensors it
 * returns (found in arrays and plain objects too) and tensors passed to keep().
 * `fn` must be synchronous.
 */
export function tidy<T extends Tidyable>(fn: () => T): T {
  pushScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    popScope(null);
    throw e;
  }
  if (result instanceof Promise) {
    popScope(null);
    throw new ArgumentError('tidy: the function must be synchronous (it returned a Promise)');
  }
  // Most tidies (every composed op, every layer) return one tensor or nothing: only a
  // composite result needs a set of the tensors it holds. A training step runs dozens.
  if (result instanceof Tensor) {
    popScope(result);
  } else if (result === null || typeof result !== 'object') {
    popScope(null);
  } else {
    const keepSet = new Set<Tensor>();
    collect(result, keepSet);
    popScope(keepSet);
  }
  return result;
}

/** Exempts a tensor from the enclosing tidy(); returns it. */
export function keep<T extends Tensor>(t: T): T {
  return t.keep();
}

/** Disposes tensors found in a tensor, array or plain object. */
export function dispose(x: Tidyable): void {
  const set = new Set<Tensor>();
  collect(x, set);
  for (const t of set) t.dispose();
}

export interface MemoryInfo {
  /** Live tensor handles (views count once each). */
  numTensors: number;
  /** Bytes held by all registered backends. */
  numBytes: number;
  /** Storages and bytes per registered backend. */
  backends: Record<string, { buffers: number; bytes: number }>;
  /**
   * Tensor handles released by the safety net since start: garbage-collected without
   * dispose() or tidy(). Growth means a loop leaks handles: memory is given back only as
   * fast as the GC runs, so fix the leak with tidy() or dispose().
   */
  reclaimed: number;
  /** Bytes the net freed: storages whose last reference such a handle held, or its autograd graph saved. */
  reclaimedBytes: number;
}

/** Live tensors, storages and bytes per backend, and what the GC safety net released. */
export function memory(): MemoryInfo {
  // Handles collected since the last allocation are released first, so the counts are current.
  releaseLost();
  const backends: MemoryInfo['backends'] = {};
  let numBytes = 0;
  for (const b of listBackends()) {
    const m = b.memory();
    backends[b.name] = { buffers: m.buffers, bytes: m.bytes };
    numBytes += m.bytes;
  }
  const { reclaimed, reclaimedBytes } = reclaimStats();
  return { numTensors: liveTensorCount(), numBytes, backends, reclaimed, reclaimedBytes };
}
