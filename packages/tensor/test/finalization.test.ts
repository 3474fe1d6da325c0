import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, DataId } from '../src/backend';
import type { TypedArray } from '../src/dtype';
import {
  type Tensor,
  dispose,
  keep,
  memory,
  registerBackend,
  removeBackend,
  reshape,
  tensor,
  tidy,
} from '../src/index';

/**
 * The GC safety net (handles.ts) on a host-array backend that logs every free: a handle
 * collected without dispose() releases its storage reference and its graph node exactly
 * once; dispose() still frees at once and the net then does nothing; handles held by a
 * tidy() scope are left to the scope.
 */

// `node --expose-gc` at run time: the flag is read when a context is made.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full GC, then turns of the event loop until FinalizationRegistry callbacks have run. */
async function collect(): Promise<void> {
  let ran = false;
  const sentinel = new FinalizationRegistry(() => {
    ran = true;
  });
  ((): void => sentinel.register({}, 0))();
  gc();
  for (let i = 0; i < 1000 && !ran; i++) await new Promise((r) => setTimeout(r, 0));
  expect(ran, 'a FinalizationRegistry callback ran after gc()').toBe(true);
  await new Promise((r) => setTimeout(r, 0));
}

interface LoggingBackend extends Backend {
  /** Every freed id, in order (a double free shows as a repeat). */
  frees: DataId[];
  live: Set<DataId>;
}

function loggingBackend(name: string): LoggingBackend {
  const store = new Map<DataId, TypedArray>();
  const b = {
    name,
    frees: [] as DataId[],
    live: new Set<DataId>(),
    write(values: TypedArray): DataId {
      const id = { n: store.size };
      store.set(id, values.slice());
      b.live.add(id);
      return id;
    },
    read: (id: DataId) => Promise.resolve((store.get(id) as TypedArray).slice()),
    readSync: (id: DataId) => (store.get(id) as TypedArray).slice(),
    free(id: DataId): void {
      b.frees.push(id);
      b.live.delete(id);
    },
    memory: () => ({
      buffers: b.live.size,
      bytes: [...b.live].reduce((s, id) => s + (store.get(id) as TypedArray).byteLength, 0),
    }),
  };
  return b as unknown as LoggingBackend;
}

/** Makes tensors in a function of its own, so no local of the test's frame keeps them. */
function made<T>(fn: () => T): T {
  return fn();
}

describe('tensors nobody can reach', () => {
  const backend = loggingBackend('logging');
  const opts = { backend };
  beforeAll(() => registerBackend(backend));
  afterAll(() => removeBackend(backend.name));

  it('a dropped handle frees its storage once the GC collects it, counted by memory().reclaimed', async () => {
    const m0 = memory();
    const ids = made(() => {
      const ts = [tensor([1, 2, 3], [3], 'float32', opts), tensor([4, 5], [2], 'int32', opts)];
      return ts.map((t) => t.storage.data);
    });
    expect(memory().numTensors).toBe(m0.numTensors + 2);
    expect(backend.live.has(ids[0]) && backend.live.has(ids[1])).toBe(true);
    await collect();
    const m1 = memory();
    expect(m1.numTensors).toBe(m0.numTensors);
    expect(m1.reclaimed).toBe(m0.reclaimed + 2);
    expect(m1.reclaimedBytes).toBe(m0.reclaimedBytes + 12 + 8);
    expect(backend.frees.filter((id) => id === ids[0] || id === ids[1])).toHaveLength(2);
    expect(m1.backends.logging).toEqual(m0.backends.logging);
  });

  it('dispose() frees at once, and the collected handle is not released again', async () => {
    const m0 = memory();
    const id = made(() => {
      const t = tensor([1, 2, 3, 4], [4], 'float32', opts);
      const data = t.storage.data;
      t.dispose();
      // Freed now, not at some later GC.
      expect(backend.frees.at(-1)).toBe(data);
      expect(memory().numTensors).toBe(m0.numTensors);
      expect(memory().backends.logging).toEqual(m0.backends.logging);
      t.dispose();
      return data;
    });
    await collect();
    expect(backend.frees.filter((f) => f === id)).toHaveLength(1);
    expect(memory().reclaimed).toBe(m0.reclaimed);
    expect(memory().numTensors).toBe(m0.numTensors);
  });

  it('a dropped view releases only its own reference: the storage lives while another handle does', async () => {
    const base = tensor([1, 2, 3, 4, 5, 6], [6], 'float32', opts);
    const m0 = memory();
    made(() => {
      reshape(base, [2, 3]);
      reshape(base, [3, 2]);
    });
    await collect();
    expect(memory().reclaimed).toBe(m0.reclaimed + 2);
    // Both views' references are gone, none was the last: nothing was freed.
    expect(memory().reclaimedBytes).toBe(m0.reclaimedBytes);
    expect(backend.frees).not.toContain(base.storage.data);
    expect(Array.from(base.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    base.dispose();
    expect(backend.frees.at(-1)).toBe(base.storage.data);
  });

  it('a dropped handle given new storage by assign() frees the new storage, not the old one again', async () => {
    const value = tensor([7, 8], [2], 'float32', opts);
    const m0 = memory();
    const [oldId, newId] = made(() => {
      const t = tensor([1, 2], [2], 'float32', opts);
      const old = t.storage.data;
      t.assign(value); // shares value's storage, releases the old one at once
      expect(backend.frees.at(-1)).toBe(old);
      return [old, t.storage.data];
    });
    expect(newId).toBe(value.storage.data);
    await collect();
    expect(memory().reclaimed).toBe(m0.reclaimed + 1);
    expect(backend.frees.filter((f) => f === oldId)).toHaveLength(1);
    // value still holds the shared storage.
    expect(backend.frees).not.toContain(newId);
    expect(Array.from(value.dataSync())).toEqual([7, 8]);
    value.dispose();
    expect(backend.frees.filter((f) => f === newId)).toHaveLength(1);
  });

  it('a dropped handle releases its autograd node once; a disposed one only through dispose()', async () => {
    const releases: string[] = [];
    const node = (op: string) => ({ op, release: () => void releases.push(op) });
    made(() => {
      const dropped = tensor([1], [1], 'float32', opts);
      dropped.gradFn = node('dropped');
      const disposed = tensor([2], [1], 'float32', opts);
      disposed.gradFn = node('disposed');
      disposed.dispose();
      expect(releases).toEqual(['disposed']);
    });
    await collect();
    memory();
    expect(releases).toEqual(['disposed', 'dropped']);
  });

  it('handles inside tidy() are left to the scope; what it returns or keeps is watched once it leaves', async () => {
    const m0 = memory();
    made(() => {
      const out = tidy(() => {
        tensor([1], [1], 'float32', opts); // disposed by the tidy
        const inner = tidy(() => {
          keep(tensor([2], [1], 'float32', opts)); // kept: leaves every scope, watched
          return tensor([3], [1], 'float32', opts); // moves to the outer scope
        });
        return { inner, fresh: tensor([4], [1], 'float32', opts) };
      });
      expect(memory().numTensors).toBe(m0.numTensors + 3);
      return out;
    });
    await collect();
    const m1 = memory();
    // The kept tensor and the two returned ones were collected; the tidied one was disposed.
    expect(m1.reclaimed).toBe(m0.reclaimed + 3);
    expect(m1.numTensors).toBe(m0.numTensors);
    expect(m1.backends.logging).toEqual(m0.backends.logging);
  });

  it('nothing is reclaimed while synchronous code runs: the callbacks wait for the event loop', async () => {
    const m0 = memory();
    const data: DataId[] = [];
    for (let i = 0; i < 200; i++) data.push(made(() => tensor([i], [1], 'float32', opts).storage.data));
    gc();
    // Collected, but a loop that never yields runs no cleanup task: all 200 still hold storage.
    expect(memory().numTensors).toBe(m0.numTensors + 200);
    expect(data.every((id) => backend.live.has(id))).toBe(true);
    await collect();
    expect(memory().numTensors).toBe(m0.numTensors);
    expect(memory().reclaimed).toBe(m0.reclaimed + 200);
    expect(data.some((id) => backend.live.has(id))).toBe(false);
  });

  it('dispose() of a container still disposes every tensor at once', () => {
    const m0 = memory();
    const ts: Tensor[] = [tensor([1], [1], 'float32', opts), tensor([2, 3], [2], 'float32', opts)];
    dispose({ a: ts[0], b: [ts[1]] });
    expect(ts.every((t) => t.isDisposed)).toBe(true);
    expect(memory().numTensors).toBe(m0.numTensors);
    expect(memory().backends.logging).toEqual(m0.backends.logging);
  });
});
