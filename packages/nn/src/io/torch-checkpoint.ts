import { ArgumentError, DataFormatError } from '@tsdl/tensor';
import { checkOptionNames } from '../layers/recurrent/options';
import { BYTES, STORED_AS, type StTensor, decodeValues } from './safetensors';
import { isLegacyCheckpoint, readLegacyCheckpoint } from './torch-legacy';
import {
  PyDict,
  PyGlobal,
  PyTuple,
  type PyValue,
  STORAGE_DTYPES,
  StorageRef,
  TensorRef,
  aPyType,
  unpickle,
} from './torch-pickle';
import { isZip, openTorchZip } from './torch-zip';

/**
 * Reads `torch.save(model.state_dict(), path)` files: the zip archive of
 * PyTorch ≥ 1.6 and the older pickle-stream format. The pickle goes through a
 * restricted unpickler (torch-pickle.ts), so a file can only describe tensors
 * and plain data. Every tensor is checked against its storage (element type,
 * size, offset and strides in range) before any storage is extracted, and a
 * strided view is copied into a dense tensor of its own.
 */

export interface DecodeTorchOptions {
  /** Names the file in errors (default "torch checkpoint"). */
  source?: string;
  /** Reads the state dict stored under this key of a larger checkpoint dict (`{ model: sd, epoch: 3 }` → 'model'). */
  key?: string;
}

export interface TorchCheckpoint {
  /** The state dict's tensors by name, as host values (float32, int32 or bool). */
  tensors: Record<string, StTensor>;
  format: 'zip' | 'legacy';
}

const OPTION_NAMES = ['source', 'key'] as const;

/** A persistent-id loader that turns ('storage', type, key, location, numel[, view]) into a StorageRef, once per key. */
function storageLoader(source: string, declared: Map<string, StorageRef>) {
  return (pid: PyValue, at: number): PyValue => {
    const fail = (what: string): never => {
      throw new DataFormatError(`${source}: persistent id at byte ${at}: ${what}`);
    };
    if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage')
      fail(`expected ('storage', type, key, location, size), got ${aPyType(pid)}`);
    const items = (pid as PyTuple).items;
    if (items.length !== 5 && !(items.length === 6 && items[5] === null)) {
      fail(`a storage id has ${items.length} fields; tsdl reads 5 (zip) or 6 with no view (legacy)`);
    }
    const [, type, key, location, numel] = items;
    if (!(type instanceof PyGlobal) || !Object.hasOwn(STORAGE_DTYPES, type.name))
      fail(`the storage type is ${aPyType(type)}, not a torch storage class`);
    if (typeof key !== 'string' || typeof location !== 'string') fail('the storage key and location must be strings');
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0)
      fail(`storage ${JSON.stringify(key)}'s size must be a non-negative integer`);
    const { name } = type as PyGlobal;
    const dtype = STORAGE_DTYPES[name];
    const known = declared.get(key as string);
    if (known && (known.dtype !== dtype || known.numel !== numel))
      fail(`storage ${JSON.stringify(key)} is declared twice, with different types or sizes`);
    const ref = known ?? new StorageRef(key as string, dtype, numel as number, name);
    declared.set(key as string, ref);
    return ref;
  };
}

/** The dict of name → tensor the caller asked for, each entry checked. */
function selectStateDict(root: PyValue, key: string | undefined, source: string): [string, TensorRef][] {
  let dict = root;
  if (key !== undefined) {
    const inner = root instanceof PyDict ? root.entries.get(key) : undefined;
    if (!(inner instanceof PyDict))
      throw new DataFormatError(`${source}: key ${JSON.stringify(key)} does not hold a dict in this checkpoint`);
    dict = inner;
  }
  if (!(dict instanceof PyDict))
    throw new DataFormatError(`${source}: the file holds ${aPyType(dict)}, not a state dict`);
  const out: [string, TensorRef][] = [];
  for (const [name, value] of dict.entries) {
    if (typeof name !== 'string')
      throw new DataFormatError(`${source}: state dict key ${String(name)} is not a string`);
    if (!(value instanceof TensorRef)) {
      const dicts = [...dict.entries].filter(([, v]) => v instanceof PyDict).map(([k]) => JSON.stringify(k));
      const hint =
        dicts.length > 0 ? `; to read a nested state dict pass { key } (dicts here: ${dicts.join(', ')})` : '';
      throw new DataFormatError(
        `${source}: state dict entry ${JSON.stringify(name)} is ${aPyType(value)}, not a tensor${hint}`,
      );
    }
    out.push([name, value]);
  }
  return out;
}

/** Checks a view against its storage without touching the bytes; returns its element count. */
function checkView(name: string, t: TensorRef, source: string): number {
  const fail = (what: string): never => {
    throw new DataFormatError(`${source}: tensor ${JSON.stringify(name)}: ${what}`);
  };
  let count = 1;
  let last = t.offset;
  t.shape.forEach((d, i) => {
    count *= d;
    last += (d - 1) * t.strides[i];
  });
  if (count === 0) return 0;
  if (!Number.isSafeInteger(last) || last >= t.storage.numel) {
    fail(
      `its view (offset ${t.offset}, size [${t.shape.join(',')}], stride [${t.strides.join(',')}]) reaches element ${last} of a ${t.storage.numel}-element storage`,
    );
  }
  if (count > t.storage.numel)
    fail(
      `its view holds ${count} elements of a ${t.storage.numel}-element storage (an expanded view); tsdl reads dense tensors`,
    );
  return count;
}

const isDense = (t: TensorRef): boolean => {
  let expected = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    if (t.shape[i] !== 1 && t.strides[i] !== expected) return false;
    expected *= t.shape[i];
  }
  return true;
};

/** Copies a view's elements (row-major) out of its storage's bytes, then decodes them. */
function materialize(name: string, t: TensorRef, count: number, storage: Uint8Array, source: string): StTensor {
  const size = BYTES[t.storage.dtype];
  let raw: Uint8Array;
  if (isDense(t)) {
    raw = storage.subarray(t.offset * size, (t.offset + count) * size);
  } else {
    raw = new Uint8Array(count * size);
    const index = new Array<number>(t.shape.length).fill(0);
    let at = t.offset;
    for (let k = 0; k < count; k++) {
      raw.set(storage.subarray(at * size, (at + 1) * size), k * size);
      // Odometer over the view's indices, moving `at` by the strides.
      for (let d = t.shape.length - 1; d >= 0; d--) {
        index[d]++;
        at += t.strides[d];
        if (index[d] < t.shape[d]) break;
        at -= t.strides[d] * t.shape[d];
        index[d] = 0;
      }
    }
  }
  const data = decodeValues(t.storage.dtype, raw, count, name, source);
  return { dtype: STORED_AS[t.storage.dtype], shape: [...t.shape], data };
}

/**
 * Reads a PyTorch checkpoint's state dict into host arrays: float storages
 * become float32, integer ones int32 (each value range-checked, as
 * num_batches_tracked's int64), bool stays bool. A bad or hostile file is a
 * DataFormatError naming `source` and the field.
 */
export function decodeTorchCheckpoint(bytes: Uint8Array, options: DecodeTorchOptions = {}): TorchCheckpoint {
  checkOptionNames('decodeTorchCheckpoint', options, OPTION_NAMES);
  const source = options.source ?? 'torch checkpoint';
  if (!(bytes instanceof Uint8Array))
    throw new ArgumentError(
      `decodeTorchCheckpoint: expected the file's bytes as a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`,
    );
  const declared = new Map<string, StorageRef>();
  const load = storageLoader(source, declared);
  let root: PyValue;
  let read: (keys: string[]) => Map<string, Uint8Array>;
  let format: TorchCheckpoint['format'];
  if (isZip(bytes)) {
    const zip = openTorchZip(bytes, source);
    root = unpickle(zip.pickle, { source: `${source} (${zip.prefix}/data.pkl)`, persistentLoad: load }).value;
    for (const ref of declared.values()) {
      const have = zip.storageBytes(ref.key);
      const want = ref.numel * BYTES[ref.dtype];
      if (have === undefined)
        throw new DataFormatError(
          `${source}: storage ${JSON.stringify(ref.key)} has no entry ${zip.prefix}/data/${ref.key}`,
        );
      if (have !== want)
        throw new DataFormatError(
          `${source}: storage ${JSON.stringify(ref.key)} (${ref.numel} × ${ref.typeName}) needs ${want} bytes, its entry holds ${have}`,
        );
    }
    read = (keys) => zip.readStorages(keys);
    format = 'zip';
  } else if (isLegacyCheckpoint(bytes)) {
    const legacy = readLegacyCheckpoint(bytes, source, load, declared);
    root = legacy.root;
    read = () => legacy.storages;
    format = 'legacy';
  } else {
    throw new DataFormatError(
      `${source}: not a PyTorch checkpoint (neither a zip archive nor the legacy pickle format)`,
    );
  }
  const entries = selectStateDict(root, options.key, source);
  const counts = entries.map(([name, t]) => checkView(name, t, source));
  const storages = read([...new Set(entries.map(([, t]) => t.storage.key))]);
  const tensors: Record<string, StTensor> = Object.create(null);
  entries.forEach(([name, t], i) => {
    tensors[name] = materialize(name, t, counts[i], storages.get(t.storage.key) as Uint8Array, source);
  });
  return { tensors, format };
}
