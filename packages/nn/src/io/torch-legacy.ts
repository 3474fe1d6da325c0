import { DataFormatError } from '@tsdl/tensor';
import { BYTES } from './safetensors';
import { PyDict, PyList, type PyValue, type StorageRef, unpickle } from './torch-pickle';

/**
 * PyTorch's format before 1.6 (still written with
 * `_use_new_zipfile_serialization=False`): five pickles in a row (a magic
 * number, the protocol version 1001, a dict of system info, the object, the
 * list of storage keys), then each storage in that list's order as an int64
 * element count and its raw bytes.
 */

const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/** Whether the bytes start as a legacy checkpoint: PROTO 2, LONG1 of 10 bytes (the magic number). */
export function isLegacyCheckpoint(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x80 && bytes[1] === 0x02 && bytes[2] === 0x8a && bytes[3] === 0x0a;
}

export interface LegacyCheckpoint {
  root: PyValue;
  storages: Map<string, Uint8Array>;
}

/** Reads a legacy checkpoint; `persistentLoad` (shared with the zip reader) records the storages the object names. */
export function readLegacyCheckpoint(
  bytes: Uint8Array,
  source: string,
  persistentLoad: (pid: PyValue, at: number) => PyValue,
  declared: Map<string, StorageRef>,
): LegacyCheckpoint {
  const fail = (what: string): never => {
    throw new DataFormatError(`${source}: legacy torch checkpoint: ${what}`);
  };
  let pos = 0;
  const next = (what: string, load?: typeof persistentLoad): PyValue => {
    const r = unpickle(bytes, { source: `${source} (${what})`, start: pos, persistentLoad: load });
    pos = r.end;
    return r.value;
  };
  if (next('magic number') !== MAGIC) fail('the magic number is wrong');
  const protocol = next('protocol version');
  if (protocol !== PROTOCOL_VERSION) fail(`protocol version ${String(protocol)}, expected ${PROTOCOL_VERSION}`);
  const info = next('system info');
  if (!(info instanceof PyDict) || info.entries.get('little_endian') !== true) {
    fail('the system info does not say little_endian = True; tsdl reads little-endian checkpoints');
  }
  const root = next('object', persistentLoad);
  const keys = next('storage keys');
  if (!(keys instanceof PyList) || !keys.items.every((k) => typeof k === 'string'))
    fail('the storage key list is not a list of strings');
  const storages = new Map<string, Uint8Array>();
  for (const key of (keys as PyList).items as string[]) {
    const ref = declared.get(key);
    if (ref === undefined) fail(`storage ${JSON.stringify(key)} is listed but no tensor names it`);
    if (storages.has(key)) fail(`storage ${JSON.stringify(key)} is listed twice`);
    const { numel, dtype } = ref as StorageRef;
    if (pos + 8 > bytes.length)
      fail(`storage ${JSON.stringify(key)}'s element count runs past the end of the file (truncated)`);
    const count = new DataView(bytes.buffer, bytes.byteOffset + pos, 8).getBigInt64(0, true);
    if (count !== BigInt(numel))
      fail(`storage ${JSON.stringify(key)} holds ${count} elements where the object says ${numel}`);
    pos += 8;
    const size = numel * BYTES[dtype];
    if (pos + size > bytes.length)
      fail(
        `storage ${JSON.stringify(key)} needs ${size} bytes at byte ${pos}, past the end of the ${bytes.length}-byte file (truncated)`,
      );
    storages.set(key, bytes.subarray(pos, pos + size));
    pos += size;
  }
  for (const key of declared.keys())
    if (!storages.has(key)) fail(`storage ${JSON.stringify(key)} is named by a tensor but not stored`);
  return { root, storages };
}
