import { type Backend, type Tensor, getBackend, memory } from '@tsdl/tensor';

/** The values of a tensor as plain numbers (async read, so it works on every backend). */
export async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data(), Number);
}

/** Runs `fn` (sync or async) and returns what it threw or rejected with; undefined if it did neither. */
export async function capture(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Escapes a string for use inside a RegExp (backend names in expected messages). */
export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** What memory() says about the active backend, plus the live tensor count. */
export interface Footprint {
  numTensors: number;
  numBytes: number;
  buffers: number;
  bytes: number;
}

export function footprint(backend: Backend = getBackend()): Footprint {
  const m = memory();
  const b = m.backends[backend.name] ?? { buffers: 0, bytes: 0 };
  return { numTensors: m.numTensors, numBytes: m.numBytes, buffers: b.buffers, bytes: b.bytes };
}

/** Whether the backend can read synchronously (t.to(), dataSync and index checks need it). */
export function readsSync(backend: Backend): boolean {
  return typeof backend.readSync === 'function';
}
