import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadFromBrowser, saveToBrowser } from '../src/storage';

/**
 * A small in-memory IndexedDB with IndexedDB's order of events: a request
 * succeeds, then its transaction commits ('complete') or aborts, and an
 * aborted transaction's writes are undone. `commitFails` makes the next
 * read-write transaction abort at commit, after its put succeeded, as a full
 * quota often does.
 */
function fakeIndexedDb() {
  const records = new Map<unknown, unknown>();
  const seen: { mode: string; durability?: string }[] = [];
  let commitFails: DOMException | null = null;
  const later = (f: () => void): void => void setTimeout(f, 0);

  function transaction(_store: string, mode: IDBTransactionMode, options?: { durability?: string }) {
    seen.push({ mode, durability: options?.durability });
    const tx: Record<string, any> = { error: null };
    const pending = new Map<unknown, unknown>();
    const request = (result: () => unknown) => {
      const req: Record<string, any> = { error: null };
      later(() => {
        req.result = result();
        req.onsuccess?.();
        later(() => {
          if (mode === 'readwrite' && commitFails) {
            tx.error = commitFails;
            commitFails = null;
            tx.onabort?.();
            return;
          }
          for (const [k, v] of pending) records.set(k, v);
          tx.oncomplete?.();
        });
      });
      return req;
    };
    tx.objectStore = () => ({
      put: (value: unknown, key: unknown) => request(() => (pending.set(key, structuredClone(value)), key)),
      get: (key: unknown) => request(() => records.get(key)),
    });
    return tx;
  }

  const db = { transaction, close: () => {}, createObjectStore: () => {} };
  const factory = {
    open: () => {
      const req: Record<string, any> = { result: db };
      later(() => req.onsuccess?.());
      return req;
    },
  };
  return {
    factory,
    seen,
    records,
    failNextCommit: (e: DOMException) => (commitFails = e),
  };
}

const model = (n: number) => ({ config: { format: 'tsdl-keras', n }, weights: new Uint8Array([n, n, n]) });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the browser store', () => {
  it('saves the model as one record in one strictly durable transaction and reads it back', async () => {
    const idb = fakeIndexedDb();
    vi.stubGlobal('indexedDB', idb.factory);
    const stored = await saveToBrowser(model(1), 'first');
    expect(stored.description).toBe('first');
    expect(idb.records.size).toBe(1);
    const back = await loadFromBrowser();
    expect(back?.config).toEqual({ format: 'tsdl-keras', n: 1 });
    expect(Array.from(back!.weights)).toEqual([1, 1, 1]);
    expect(idb.seen).toEqual([
      { mode: 'readwrite', durability: 'strict' },
      { mode: 'readonly', durability: 'strict' },
    ]);
  });

  it('reports a save whose transaction aborts at commit, and the model saved before stays', async () => {
    const idb = fakeIndexedDb();
    vi.stubGlobal('indexedDB', idb.factory);
    await saveToBrowser(model(1), 'first');
    idb.failNextCommit(new DOMException('quota', 'QuotaExceededError'));
    // The put itself succeeds; only the commit fails, so a save that trusted the request would claim success.
    await expect(saveToBrowser(model(2), 'second')).rejects.toThrow(
      "IndexedDB: this site's storage quota is exceeded; the model saved before is unchanged",
    );
    const back = await loadFromBrowser();
    expect(back?.description).toBe('first');
    expect(Array.from(back!.weights)).toEqual([1, 1, 1]);
    idb.failNextCommit(new DOMException('disk', 'UnknownError'));
    await expect(saveToBrowser(model(3), 'third')).rejects.toThrow(
      'IndexedDB: UnknownError: disk; the model saved before is unchanged',
    );
  });
});
