import type { SavedModel } from './protocol';

/**
 * Keeping a model: in this browser's IndexedDB, or as the two files of the
 * Keras-like API's format (config.json + model.safetensors), which
 * `loadModel(dir)` from @tsdl/keras reads in Node. Reading chosen files back
 * (these, or TF.js' and ONNX's) is ./model-files.ts.
 */

const DB = 'tsdl-playground';
const STORE = 'models';
const KEY = 'latest';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(`IndexedDB could not be opened (${req.error?.message ?? 'unknown error'})`));
  });
}

/** Why a transaction failed, in words; a full quota is the usual one and is often reported only at commit. */
function describe(error: DOMException | null | undefined): string {
  if (error?.name === 'QuotaExceededError') return "this site's storage quota is exceeded";
  return error ? `${error.name}: ${error.message}` : 'the transaction was aborted';
}

/**
 * One request in one transaction. A model is one record (config and weights
 * together), so a save replaces the whole record or, if the transaction
 * aborts, nothing: the previous model stays. The result counts only once the
 * transaction has committed ('complete', with strict durability: flushed),
 * not when the request succeeds, since the commit itself can still fail.
 */
async function run<T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode, { durability: 'strict' });
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onabort = () =>
        reject(
          new Error(
            `IndexedDB: ${describe(tx.error ?? req.error)}${mode === 'readwrite' ? '; the model saved before is unchanged' : ''}`,
          ),
        );
    });
  } finally {
    db.close();
  }
}

export interface StoredModel extends SavedModel {
  savedAt: string;
  description: string;
}

export async function saveToBrowser(model: SavedModel, description: string): Promise<StoredModel> {
  const stored: StoredModel = { ...model, savedAt: new Date().toISOString(), description };
  await run('readwrite', (s) => s.put(stored, KEY));
  return stored;
}

export async function loadFromBrowser(): Promise<StoredModel | null> {
  return (await run<StoredModel | undefined>('readonly', (s) => s.get(KEY))) ?? null;
}

/** Starts downloads of config.json and model.safetensors. */
export function downloadFiles(model: SavedModel): void {
  const files: [string, BlobPart, string][] = [
    ['config.json', JSON.stringify(model.config, null, 2) + '\n', 'application/json'],
    ['model.safetensors', model.weights as Uint8Array<ArrayBuffer>, 'application/octet-stream'],
  ];
  for (const [name, body, type] of files) {
    const url = URL.createObjectURL(new Blob([body], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
