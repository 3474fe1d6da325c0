import { DataFormatError } from '@tsdl/tensor';
import { unzipSync } from 'fflate';
import { crc32 } from './crc32';

/**
 * The archive `torch.save` writes (PyTorch ≥ 1.6): a zip whose entries sit
 * under one top-level folder (the file's stem in torch 1.x, "archive" in 2.x):
 *
 *   <prefix>/data.pkl      the pickled object; tensors name their storages by key
 *   <prefix>/data/<key>    each storage's raw bytes, uncompressed, in the writer's byte order
 *   <prefix>/byteorder     "little" or "big" (torch ≥ 2.1; absent means little-endian)
 *   <prefix>/version, .data/…  bookkeeping we do not need
 *
 * fflate extracts the entries. It does not check sizes against the file or
 * CRCs, so the central directory is read here too (names, sizes, CRC-32): a
 * storage's size is checked against its tensors before it is extracted, and
 * every extracted entry is checked against its CRC as PyTorch's reader does.
 */

interface CentralEntry {
  compression: number;
  crc: number;
  size: number;
  originalSize: number;
}

export interface TorchZip {
  /** The top-level folder, e.g. "archive". */
  prefix: string;
  /** data.pkl's bytes. */
  pickle: Uint8Array;
  /** The byte length of storage `key` as the archive lists it, or undefined when there is no such entry. */
  storageBytes(key: string): number | undefined;
  /** Extracts storages by key (one pass over the archive), each checked against its size and CRC. */
  readStorages(keys: readonly string[]): Map<string, Uint8Array>;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const END = 0x06054b50;
const END64 = 0x06064b50;
const END64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
/** Deflate's best ratio is about 1032:1; a larger claimed size is a lie meant to make us allocate. */
const MAX_DEFLATE_RATIO = 1032;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ZIP_MAGIC.every((b, i) => bytes[i] === b);
}

const u16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const u64 = (b: Uint8Array, o: number): number => u32(b, o) + u32(b, o + 4) * 2 ** 32;

/** Reads the central directory: every entry's name, method, sizes and CRC, all offsets checked against the file. */
function readCentral(bytes: Uint8Array, source: string): Map<string, CentralEntry> {
  const fail = (what: string): never => {
    throw new DataFormatError(`${source}: zip archive: ${what}`);
  };
  let end = -1;
  // The end record is 22 bytes plus a comment of at most 65535.
  for (let e = bytes.length - 22; e >= 0 && bytes.length - e <= 22 + 65535; e--) {
    if (u32(bytes, e) === END) {
      end = e;
      break;
    }
  }
  if (end < 0) fail('no end-of-central-directory record: the file is truncated or not a zip archive');
  let count = u16(bytes, end + 10);
  let at = u32(bytes, end + 16);
  if (end >= 20 && u32(bytes, end - 20) === END64_LOCATOR) {
    const z = u64(bytes, end - 12);
    if (z + 56 > end || u32(bytes, z) !== END64)
      fail(`the zip64 end record at byte ${z} is missing or runs past the end record`);
    count = u64(bytes, z + 32);
    at = u64(bytes, z + 48);
  }
  const entries = new Map<string, CentralEntry>();
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || u32(bytes, at) !== CENTRAL)
      fail(`central directory entry ${i} at byte ${at} is missing or damaged`);
    const nameLength = u16(bytes, at + 28);
    const extraLength = u16(bytes, at + 30);
    const next = at + 46 + nameLength + extraLength + u16(bytes, at + 32);
    if (next > end) fail(`central directory entry ${i} runs past the directory's end`);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    let size = u32(bytes, at + 20);
    let originalSize = u32(bytes, at + 24);
    // zip64: a field of all ones means "see the extra field" (id 1: original size, then compressed size, in that order).
    for (let x = at + 46 + nameLength; x + 4 <= at + 46 + nameLength + extraLength; x += 4 + u16(bytes, x + 2)) {
      if (u16(bytes, x) !== 1) continue;
      let p = x + 4;
      if (originalSize === 0xffffffff) {
        originalSize = u64(bytes, p);
        p += 8;
      }
      if (size === 0xffffffff) size = u64(bytes, p);
    }
    if (size > bytes.length)
      fail(`entry ${JSON.stringify(name)} claims ${size} bytes, more than the ${bytes.length}-byte file`);
    entries.set(name, { compression: u16(bytes, at + 10), crc: u32(bytes, at + 16), size, originalSize });
    at = next;
  }
  return entries;
}

/** Extracts the named entries with fflate, after checking their methods and sizes, and checks each against its CRC. */
function extract(
  bytes: Uint8Array,
  central: Map<string, CentralEntry>,
  names: Set<string>,
  source: string,
): Map<string, Uint8Array> {
  for (const name of names) {
    const e = central.get(name) as CentralEntry;
    if (e.compression !== 0 && e.compression !== 8) {
      throw new DataFormatError(
        `${source}: zip entry ${JSON.stringify(name)} uses compression method ${e.compression}; only stored (0) and deflate (8) are read`,
      );
    }
    const limit = e.compression === 0 ? e.size : Math.min(e.size * MAX_DEFLATE_RATIO + 1024, 2 ** 31 - 1);
    if (e.originalSize > limit) {
      throw new DataFormatError(
        `${source}: zip entry ${JSON.stringify(name)} claims ${e.originalSize} bytes from ${e.size} stored, which its compression cannot give`,
      );
    }
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => names.has(f.name) });
  } catch (e) {
    throw new DataFormatError(`${source}: the zip archive cannot be read (${(e as Error).message})`);
  }
  const out = new Map<string, Uint8Array>();
  for (const name of names) {
    const data = files[name];
    const e = central.get(name) as CentralEntry;
    if (data === undefined || data.length !== e.originalSize) {
      throw new DataFormatError(
        `${source}: zip entry ${JSON.stringify(name)} gave ${data?.length ?? 0} bytes where the directory lists ${e.originalSize}: the archive is damaged`,
      );
    }
    if (crc32(data) !== e.crc)
      throw new DataFormatError(
        `${source}: zip entry ${JSON.stringify(name)} fails its CRC-32 check: the archive is damaged`,
      );
    out.set(name, data);
  }
  return out;
}

/** Opens a torch.save archive: finds its folder, checks its byte order and reads data.pkl. */
export function openTorchZip(bytes: Uint8Array, source: string): TorchZip {
  const central = readCentral(bytes, source);
  const pickles = [...central.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1) {
    throw new DataFormatError(
      `${source}: a torch.save archive holds exactly one <folder>/data.pkl, this zip holds ${pickles.length === 0 ? 'none' : pickles.join(', ')}`,
    );
  }
  const prefix = pickles[0].slice(0, -'/data.pkl'.length);
  const wanted = new Set([pickles[0]]);
  const orderName = `${prefix}/byteorder`;
  if (central.has(orderName)) wanted.add(orderName);
  const first = extract(bytes, central, wanted, source);
  const order = first.get(orderName);
  if (order !== undefined) {
    const text = new TextDecoder().decode(order).trim();
    if (text !== 'little') {
      throw new DataFormatError(
        `${source}: byteorder says ${JSON.stringify(text.slice(0, 20))}; tsdl reads little-endian checkpoints (save it on a little-endian machine)`,
      );
    }
  }
  const storageName = (key: string): string => `${prefix}/data/${key}`;
  return {
    prefix,
    pickle: first.get(pickles[0]) as Uint8Array,
    storageBytes: (key) => central.get(storageName(key))?.originalSize,
    readStorages(keys) {
      const byName = extract(bytes, central, new Set(keys.map(storageName)), source);
      return new Map(keys.map((k) => [k, byName.get(storageName(k)) as Uint8Array]));
    },
  };
}
