import { DataFormatError } from '@tsdl/tensor';
import { inflateChunks, isGzip, joinChunks } from './gunzip';

/**
 * The IDX format of the MNIST files: two zero bytes, a type byte (0x08 =
 * unsigned byte, the only one MNIST uses), a dimension count, then each
 * dimension as a big-endian uint32, then the row-major payload.
 */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/**
 * The largest file this reader builds in memory: 2 GiB - 1, the largest typed
 * array every JavaScript engine allocates. MNIST's largest file is 47 MB.
 */
export const MAX_IDX_BYTES = 2 ** 31 - 1;

/** An IDX header: the dimensions, where the payload starts and how long it is. */
interface IdxHeader {
  dims: number[];
  headerBytes: number;
  payloadBytes: number;
}

/**
 * Reads the header from the first bytes of a file; null while they are too
 * few to hold it (so a stream can call it again as bytes arrive). A wrong
 * magic number or type is a DataFormatError as soon as 4 bytes are in.
 */
function readHeader(bytes: Uint8Array, source: string): IdxHeader | null {
  if (bytes.length < 4) return null;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataFormatError(
      `${source}: wrong magic number ${magic}; an IDX file starts with 00 00 <type> <rank> (MNIST: 00 00 08 01 or 00 00 08 03)`,
    );
  }
  const type = bytes[2];
  if (type !== 0x08) {
    throw new DataFormatError(
      `${source}: IDX type 0x${type.toString(16).padStart(2, '0')} (${TYPE_NAMES[type] ?? 'unknown'}) is not supported; MNIST files hold uint8 (0x08)`,
    );
  }
  const rank = bytes[3];
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  // A float product: 255 dimensions of 2^32 overflow any integer, but only the comparison with a limit matters then.
  const payloadBytes = dims.reduce((a, b) => a * b, 1);
  return { dims, headerBytes, payloadBytes };
}

/** Parses raw (not gzipped) IDX bytes; `source` names the file in errors. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  if (bytes.length < 4)
    throw new DataFormatError(`${source}: file is ${bytes.length} bytes, too short for an IDX header`);
  const header = readHeader(bytes, source);
  if (!header) {
    const rank = bytes[3];
    throw new DataFormatError(
      `${source}: truncated header (${rank} dimensions need ${4 + 4 * rank} bytes, the file has ${bytes.length})`,
    );
  }
  const { dims, headerBytes, payloadBytes: expected } = header;
  const got = bytes.length - headerBytes;
  if (got < expected) {
    throw new DataFormatError(
      `${source}: truncated file: dimensions [${dims.join(', ')}] need ${expected} payload bytes, got ${got}`,
    );
  }
  if (got > expected) {
    throw new DataFormatError(
      `${source}: ${got - expected} unexpected bytes after the ${expected}-byte payload of dimensions [${dims.join(', ')}]`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/**
 * Inflates a gzipped IDX file no further than its header says it reaches: as
 * soon as the header is in, the expected size is known, and one byte more
 * stops the inflation with a DataFormatError (a 3 GiB bomb behind a 10-byte
 * label header costs one chunk, not 3 GiB).
 */
async function inflateIdx(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let header: IdxHeader | null = null;
  await inflateChunks(bytes, source, (chunk) => {
    chunks.push(chunk);
    total += chunk.length;
    // The header is at most 4 + 4 * 255 bytes; look again until it is all in.
    header ??= readHeader(joinChunks(chunks, Math.min(total, 1024)), source);
    if (!header) return;
    const declared = header.headerBytes + header.payloadBytes;
    if (declared > MAX_IDX_BYTES) {
      throw new DataFormatError(
        `${source}: dimensions [${header.dims.join(', ')}] declare ${declared} bytes, more than the ${MAX_IDX_BYTES} this reader holds in memory`,
      );
    }
    if (total > declared) {
      throw new DataFormatError(
        `${source}: inflates to more than the ${declared} bytes its header declares (dimensions [${header.dims.join(', ')}]); stopped there`,
      );
    }
  });
  return joinChunks(chunks, total);
}

/** Parses IDX bytes that may be gzipped; a gzipped file is inflated no further than its header declares. */
export async function readIdx(bytes: Uint8Array, source: string): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await inflateIdx(bytes, source) : bytes, source);
}
