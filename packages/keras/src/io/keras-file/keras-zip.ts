import { DataFormatError } from '@tsdl/tensor';
import { type UnzipFileInfo, unzipSync, zipSync } from 'fflate';

/**
 * The zip archive of a .keras file: config.json, metadata.json and
 * model.weights.h5 (Keras writes them uncompressed; an assets/ folder may
 * follow, which tsdl does not read). Each entry's sizes come from the archive's
 * directory and are checked before anything is inflated: a size no
 * compression can give, or more than an entry may hold, is refused; what is
 * extracted is checked against its length and CRC-32.
 */

export const CONFIG = 'config.json';
export const METADATA = 'metadata.json';
export const WEIGHTS = 'model.weights.h5';

/** Most bytes each entry may have; the weights are bounded by what WebAssembly's HDF5 can open (2 GiB). */
const LIMITS: Record<string, number> = { [CONFIG]: 64 * 2 ** 20, [METADATA]: 2 ** 20, [WEIGHTS]: 2 ** 31 - 1 };
/** Deflate's best ratio is about 1032:1; a larger claimed size is a lie meant to make us allocate. */
const MAX_DEFLATE_RATIO = 1032;

export interface KerasZip {
  config: Uint8Array;
  metadata: Uint8Array;
  weights: Uint8Array;
}

let crcTable: Uint32Array | null = null;

function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 of each entry as the local headers list it (fflate does not check them). */
function listedCrcs(bytes: Uint8Array): Map<string, number> {
  const out = new Map<string, number>();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record is 22 bytes plus a comment of at most 65535: find it, then walk the central directory.
  for (let e = bytes.length - 22; e >= 0 && bytes.length - e <= 22 + 65535; e--) {
    if (dv.getUint32(e, true) !== 0x06054b50) continue;
    let at = dv.getUint32(e + 16, true);
    for (let i = dv.getUint16(e + 10, true); i > 0 && at + 46 <= e && dv.getUint32(at, true) === 0x02014b50; i--) {
      const nameLength = dv.getUint16(at + 28, true);
      out.set(new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength)), dv.getUint32(at + 16, true));
      at += 46 + nameLength + dv.getUint16(at + 30, true) + dv.getUint16(at + 32, true);
    }
    break;
  }
  return out;
}

/** Reads the three entries of a .keras archive; errors name `source` and the entry. */
export function readKerasZip(bytes: Uint8Array, source: string): KerasZip {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b || bytes[2] !== 0x03 || bytes[3] !== 0x04) {
    throw new DataFormatError(
      `${source}: not a zip archive (a .keras file is one, holding config.json, metadata.json and model.weights.h5)`,
    );
  }
  const seen: UnzipFileInfo[] = [];
  let refused: string | null = null;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        seen.push(f);
        const limit = LIMITS[f.name];
        if (limit === undefined || refused) return false;
        if (f.compression !== 0 && f.compression !== 8)
          refused = `entry ${f.name} uses compression method ${f.compression}; only stored (0) and deflate (8) are read`;
        else if (f.originalSize > limit)
          refused = `entry ${f.name} is ${f.originalSize} bytes, more than the ${limit} tsdl reads`;
        else if (f.originalSize > (f.compression === 0 ? f.size : f.size * MAX_DEFLATE_RATIO + 1024)) {
          refused = `entry ${f.name} claims ${f.originalSize} bytes from ${f.size} stored, which its compression cannot give`;
        }
        return refused === null;
      },
    });
  } catch (e) {
    throw new DataFormatError(`${source}: the zip archive is truncated or damaged (${(e as Error).message})`);
  }
  if (refused) throw new DataFormatError(`${source}: ${refused}`);
  const names = seen.map((f) => f.name);
  if (names.includes('model.weights.npz') && !names.includes(WEIGHTS)) {
    throw new DataFormatError(
      `${source}: the weights are in model.weights.npz (Keras' weights_format='npz'); tsdl reads model.weights.h5, Keras' default`,
    );
  }
  const crcs = listedCrcs(bytes);
  const entry = (name: string): Uint8Array => {
    const data = files[name];
    if (data === undefined)
      throw new DataFormatError(
        `${source}: the archive has no ${name} (its entries: ${JSON.stringify(names.slice(0, 10))})`,
      );
    const info = seen.find((f) => f.name === name) as UnzipFileInfo;
    if (data.length !== info.originalSize || crcs.get(name) !== crc32(data)) {
      throw new DataFormatError(
        `${source}: entry ${name} is damaged (its length or CRC-32 differs from the archive's directory)`,
      );
    }
    return data;
  };
  return { config: entry(CONFIG), metadata: entry(METADATA), weights: entry(WEIGHTS) };
}

/** A .keras archive of the three entries, stored uncompressed as Keras writes them (the weights barely compress). */
export function writeKerasZip(z: KerasZip): Uint8Array {
  const opts = { level: 0 as const, mtime: new Date('2024-01-01T00:00:00Z') };
  return zipSync({ [METADATA]: [z.metadata, opts], [CONFIG]: [z.config, opts], [WEIGHTS]: [z.weights, opts] });
}
