import type { Storage } from './storage';

/**
 * Accounting of tensor handles: how many are live, and the safety net that gives back what
 * a handle held when the handle was garbage-collected without dispose().
 *
 * The net is a FinalizationRegistry on the handle. Its held value is the handle's
 * `HandleRefs`, which never points back at the Tensor (a held value is held strongly, so
 * one that reached the Tensor would keep it alive forever). The registry's callback only
 * queues the refs: the references are released at the next tensor allocation or memory()
 * call, on the framework's own path (a backend sees the free where an explicit dispose()
 * could have happened, never at a moment the GC chose), and a failing free surfaces
 * there instead of as an uncaught error in a GC task.
 *
 * Handles inside tidy() are not watched: the scope holds them until it disposes them, so
 * they could not be collected anyway, and watching costs a registration per handle. A
 * handle is watched when no scope holds it: made outside tidy(), returned from the
 * outermost tidy(), or kept with keep().
 */

/** What autograd attaches to a tensor made by a recorded op (see tensor.ts's GradNode). */
interface Releasable {
  release(): void;
}

/**
 * What one tensor handle owns: one reference on its storage and, when a recorded op made
 * it, one on its autograd node. Kept apart from the Tensor so the safety net can release
 * them after the handle itself is gone.
 */
export class HandleRefs {
  /** Registered with the safety net. */
  watched = false;
  /** Released by dispose() or by the safety net: whichever comes first, the other does nothing. */
  released = false;

  constructor(
    public storage: Storage,
    public gradFn: Releasable | null,
  ) {}
}

let live = 0;
let reclaimed = 0;
let reclaimedBytes = 0;
/** True while the net releases references, so storages freed then (graph-saved ones too) count as reclaimed. */
let reclaiming = false;

/** Refs of collected handles, waiting for the next allocation or memory() call. */
const lost: HandleRefs[] = [];

const registry: FinalizationRegistry<HandleRefs> | null =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<HandleRefs>((refs) => lost.push(refs)) : null;

/** Counts a new handle. */
export function countHandle(): void {
  live++;
}

/** Live tensor handles. */
export function liveHandles(): number {
  return live;
}

/** Handles the safety net released, and bytes of the storages that freed (saved by their graph nodes too). */
export function reclaimStats(): { reclaimed: number; reclaimedBytes: number } {
  return { reclaimed, reclaimedBytes };
}

/** Puts a handle that no tidy() scope holds under the safety net (once). */
export function watch(handle: object, refs: HandleRefs): void {
  if (registry === null || refs.watched || refs.released) return;
  refs.watched = true;
  // The refs are their own unregister token: dispose() holds them, not the handle's registry entry.
  registry.register(handle, refs, refs);
}

/**
 * Marks a handle released by dispose() and takes it off the safety net, so the net
 * never releases its references a second time. Returns false if it was already released.
 */
export function releaseHandle(refs: HandleRefs): boolean {
  if (refs.released) return false;
  refs.released = true;
  live--;
  if (refs.watched) {
    refs.watched = false;
    registry?.unregister(refs);
  }
  return true;
}

/** @internal Called by Storage.release when it frees backend memory. */
export function countFreed(bytes: number): void {
  if (reclaiming) reclaimedBytes += bytes;
}

/** Releases the references of handles collected since the last call. */
export function releaseLost(): void {
  if (lost.length === 0) return;
  reclaiming = true;
  try {
    while (lost.length > 0) {
      const refs = lost.pop() as HandleRefs;
      if (refs.released) continue;
      refs.released = true;
      live--;
      reclaimed++;
      const { storage, gradFn } = refs;
      refs.gradFn = null;
      try {
        storage.release();
      } finally {
        gradFn?.release();
      }
    }
  } finally {
    reclaiming = false;
  }
}
