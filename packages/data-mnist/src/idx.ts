import { DataFormatError } from '@tsdl/tensor';

/**
 * The IDX format of the MNIST files: two zero bytes, a type byte (0x08 =
 * unsigned byte, the only one MNIST uses), a dimension count, then each
 * dimension as a big-endian uint32, then the row-major payload.
 */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = { 0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

/** Parses raw (not gzipped) IDX bytes; `source` names the file in errors. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  if (bytes.length < 4) throw new DataFormatError(`${source}: file is ${bytes.length} bytes, too short for an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataFormatError(`${source}: wrong magic number ${magic}; an IDX file starts with 00 00 <type> <rank> (MNIST: 00 00 08 01 or 00 00 08 03)`);
  }
  const type = bytes[2];
  if (type !== 0x08) {
    throw new DataFormatError(`${source}: IDX type 0x${type.toString(16).padStart(2, '0')} (${TYPE_NAMES[type] ?? 'unknown'}) is not supported; MNIST files hold uint8 (0x08)`);
  }
  const rank = bytes[3];
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw new DataFormatError(`${source}: truncated header (${rank} dimensions need ${headerBytes} bytes, the file has ${bytes.length})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const got = bytes.length - headerBytes;
  if (got < expected) {
    throw new DataFormatError(`${source}: truncated file: dimensions [${dims.join(', ')}] need ${expected} payload bytes, got ${got}`);
  }
  if (got > expected) {
    throw new DataFormatError(`${source}: ${got - expected} unexpected bytes after the ${expected}-byte payload of dimensions [${dims.join(', ')}]`);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** True for gzip data (magic 1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gunzips in Node (zlib) or in browsers (DecompressionStream). */
export async function gunzip(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  try {
    if (typeof process !== 'undefined' && process.versions?.node) {
      const zlib = await import('node:zlib');
      return new Uint8Array(zlib.gunzipSync(bytes));
    }
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new DataFormatError(`${source}: corrupt gzip data (${(e as Error).message})`);
  }
}

/** Parses IDX bytes that may be gzipped. */
export async function readIdx(bytes: Uint8Array, source: string): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, source) : bytes, source);
}
