import { DataFormatError } from '@tsdl/tensor';
import { type Json, JsonError, parseStrictJson } from './strict-json';

/**
 * The safetensors format (https://github.com/huggingface/safetensors), so
 * weights saved here load in PyTorch, JAX and every tool that reads it:
 *
 *   8 bytes   N, the header length, unsigned little-endian 64-bit
 *   N bytes   a UTF-8 JSON object: { name: { dtype, shape, data_offsets: [begin, end] }, …,
 *             "__metadata__"?: { string: string } }, padded with spaces
 *   rest      the byte buffer; offsets are relative to its start, tensors are
 *             row-major little-endian, and together they cover it with no holes
 */

export type StDType =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/** Bytes per element of each file dtype. */
export const BYTES: Record<StDType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/** A tensor as stored: float32 values, int32 values or bool bytes. */
export interface StTensor {
  dtype: 'F32' | 'I32' | 'BOOL';
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

const scratch = new DataView(new ArrayBuffer(4));
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bytesOf(t: StTensor): Uint8Array {
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (LITTLE_ENDIAN || t.dtype === 'BOOL') return raw;
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 4) for (let k = 0; k < 4; k++) out[i + k] = raw[i + 3 - k];
  return out;
}

/** The reference writer's dtype order (increasing alignment); it lays tensors out by descending rank here. */
const DTYPE_RANK: Record<StTensor['dtype'], number> = { BOOL: 0, I32: 1, F32: 2 };

/** Byte order of UTF-8 names, as Rust compares strings (UTF-16 order differs only outside the BMP). */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Serialises named tensors and optional string metadata. Tensors are laid out
 * as the reference writer does, by descending dtype alignment then by name, so
 * the same weights always give the same bytes.
 */
export function encodeSafetensors(tensors: Record<string, StTensor>, metadata?: Record<string, string>): Uint8Array {
  // No prototype, so a tensor named "__proto__" is a key like any other rather than a prototype assignment.
  const header: Record<string, unknown> = Object.create(null);
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const chunks: Uint8Array[] = [];
  const entries = Object.entries(tensors).sort(
    ([an, at], [bn, bt]) => DTYPE_RANK[bt.dtype] - DTYPE_RANK[at.dtype] || byName(an, bn),
  );
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new DataFormatError('safetensors: "__metadata__" cannot be a tensor name');
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length) {
      throw new DataFormatError(
        `safetensors: tensor '${name}' has ${t.data.length} values for shape [${t.shape.join(',')}]`,
      );
    }
    const bytes = bytesOf(t);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces so the byte buffer starts 8-byte aligned, as the reference writer does.
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** float16 bits → number. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Copies raw little-endian bytes into a typed array of the same element size. */
function copyInto<T extends Float32Array | Int32Array>(out: T, bytes: Uint8Array): T {
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes.subarray(0, out.byteLength));
  return out;
}

/**
 * Reads `n` little-endian values of `dtype` into float32 (float types), int32
 * (integer types, range-checked) or bool bytes (0 or 1). Shared with the
 * PyTorch checkpoint reader, whose storages are the same raw layouts.
 */
export function decodeValues(
  dtype: StDType,
  bytes: Uint8Array,
  n: number,
  name: string,
  source: string,
): StTensor['data'] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const toInt = (read: (i: number) => number): Int32Array => {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = read(i);
      if (v > 2147483647 || v < -2147483648) {
        throw new DataFormatError(
          `${source}: tensor ${JSON.stringify(name)} (${dtype}) holds ${v} at index ${i}, outside the int32 range tsdl stores`,
        );
      }
      out[i] = v;
    }
    return out;
  };
  const toFloat = (read: (i: number) => number): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = read(i);
    return out;
  };
  switch (dtype) {
    case 'F32':
      // A byte copy where the host is little-endian, as safetensors is: reading 49 M floats one by one took seconds.
      return LITTLE_ENDIAN ? copyInto(new Float32Array(n), bytes) : toFloat((i) => dv.getFloat32(4 * i, true));
    case 'F64':
      return toFloat((i) => dv.getFloat64(8 * i, true));
    case 'F16':
      return toFloat((i) => halfToFloat(dv.getUint16(2 * i, true)));
    case 'BF16':
      // bfloat16 is the top half of a float32.
      return toFloat((i) => {
        scratch.setUint32(0, dv.getUint16(2 * i, true) << 16, true);
        return scratch.getFloat32(0, true);
      });
    case 'I32':
      return LITTLE_ENDIAN ? copyInto(new Int32Array(n), bytes) : toInt((i) => dv.getInt32(4 * i, true));
    case 'I64':
      return toInt((i) => Number(dv.getBigInt64(8 * i, true)));
    case 'U64':
      return toInt((i) => Number(dv.getBigUint64(8 * i, true)));
    case 'U32':
      return toInt((i) => dv.getUint32(4 * i, true));
    case 'I16':
      return toInt((i) => dv.getInt16(2 * i, true));
    case 'U16':
      return toInt((i) => dv.getUint16(2 * i, true));
    case 'I8':
      return toInt((i) => dv.getInt8(i));
    case 'U8':
      return toInt((i) => dv.getUint8(i));
    case 'BOOL': {
      // Only 0 and 1 are booleans; any other byte is corruption, not a value to round to true.
      const bad = bytes.findIndex((b) => b > 1);
      if (bad >= 0)
        throw new DataFormatError(
          `${source}: tensor ${JSON.stringify(name)} (BOOL) holds ${bytes[bad]} at index ${bad}; booleans are 0 or 1`,
        );
      return bytes.slice(0, n);
    }
  }
}

/** What each file dtype becomes in memory. */
export const STORED_AS: Record<StDType, StTensor['dtype']> = {
  F64: 'F32',
  F32: 'F32',
  F16: 'F32',
  BF16: 'F32',
  I64: 'I32',
  I32: 'I32',
  I16: 'I32',
  I8: 'I32',
  U64: 'I32',
  U32: 'I32',
  U16: 'I32',
  U8: 'I32',
  BOOL: 'BOOL',
};

/** The reference reader's limit on the header; a larger length field is corruption, not a model. */
const MAX_HEADER_BYTES = 100_000_000;

/** A tensor's entry once the header has been checked: nothing is read or allocated until every entry passes. */
interface Entry {
  name: string;
  dtype: StDType;
  shape: number[];
  begin: number;
  end: number;
  count: number;
}

const isObject = (v: Json | undefined): v is { [key: string]: Json } =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const isIndex = (v: Json | undefined): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/** A JSON value for a message, cut short: headers come from outside and can be huge. */
const show = (v: Json | undefined): string => {
  const s = v === undefined ? 'missing' : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** Checks one tensor's header entry against the buffer; throws a DataFormatError naming the tensor and the field. */
function checkEntry(name: string, info: Json, bufferBytes: number, source: string): Entry {
  const fail = (what: string): never => {
    throw new DataFormatError(`${source}: tensor ${JSON.stringify(name)}: ${what}`);
  };
  if (!isObject(info))
    return fail(`its header entry must be an object with dtype, shape and data_offsets, got ${show(info)}`);
  const { dtype, shape, data_offsets: offs } = info;
  if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype)) {
    return fail(`unknown dtype ${show(dtype)} (known: ${Object.keys(BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape)) return fail(`shape must be an array of dimensions, got ${show(shape)}`);
  shape.forEach((d, k) => {
    if (!isIndex(d)) fail(`shape[${k}] is ${show(d)}, not a non-negative integer`);
  });
  if (!Array.isArray(offs) || offs.length !== 2) return fail(`data_offsets must be [begin, end], got ${show(offs)}`);
  offs.forEach((o, k) => {
    if (!isIndex(o)) fail(`data_offsets[${k}] is ${show(o)}, not a non-negative integer byte offset`);
  });
  const [begin, end] = offs as number[];
  if (begin > end || end > bufferBytes)
    fail(`data_offsets [${begin},${end}] run outside the ${bufferBytes}-byte buffer`);
  const dims = shape as number[];
  const size = BYTES[dtype as StDType];
  // Multiply with an early stop: a shape can claim 2^200 elements, past what a float64 counts exactly.
  let count = dims.includes(0) ? 0 : 1;
  for (const d of count ? dims : []) {
    count *= d;
    if (count * size > Number.MAX_SAFE_INTEGER)
      fail(`shape ${show(dims)} (${dtype}) needs more than 2^53 bytes, far more than the ${bufferBytes}-byte buffer`);
  }
  if (end - begin !== count * size) {
    fail(
      `${dtype} of shape [${dims.join(',')}] needs ${count * size} bytes but its data_offsets [${begin},${end}] span ${end - begin}`,
    );
  }
  return { name, dtype: dtype as StDType, shape: dims, begin, end, count };
}

function parseHeader(bytes: Uint8Array, n: number, source: string): { [key: string]: Json } {
  let text: string;
  let header: Json;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch (e) {
    throw new DataFormatError(`${source}: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  try {
    header = parseStrictJson(text);
  } catch (e) {
    if (!(e instanceof JsonError)) throw e;
    const dup = e.duplicate;
    if (dup && dup.path.length === 0)
      throw new DataFormatError(`${source}: the header names tensor ${JSON.stringify(dup.key)} twice`);
    if (dup)
      throw new DataFormatError(
        `${source}: the header entry ${JSON.stringify(dup.path[0])} has the key ${JSON.stringify(dup.key)} twice`,
      );
    throw new DataFormatError(`${source}: header is not valid UTF-8 JSON (${e.message})`);
  }
  if (!isObject(header)) throw new DataFormatError(`${source}: header must be a JSON object, got ${show(header)}`);
  return header;
}

function readMetadata(info: Json, source: string): Record<string, string> {
  const metadata: Record<string, string> = Object.create(null);
  if (info === null) return metadata; // the reference reader's "no metadata"
  if (!isObject(info))
    throw new DataFormatError(`${source}: __metadata__ must be an object of strings, got ${show(info)}`);
  for (const [k, v] of Object.entries(info)) {
    if (typeof v !== 'string')
      throw new DataFormatError(`${source}: __metadata__ ${JSON.stringify(k)} must be a string, got ${show(v)}`);
    metadata[k] = v;
  }
  return metadata;
}

/**
 * Parses a safetensors file. Every structural rule of the format is checked
 * (header length, JSON, each entry's dtype, shape and offsets, and that the
 * tensors tile the buffer) before any tensor is read or allocated, and a
 * violation is a DataFormatError that names `source`, the tensor and the
 * field. The returned maps have no prototype, so any name, "__proto__"
 * included, is an ordinary tensor name.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = 'safetensors',
): {
  tensors: Record<string, StTensor>;
  metadata: Record<string, string>;
} {
  if (bytes.length < 8)
    throw new DataFormatError(`${source}: file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(bytes.length - 8)) {
    throw new DataFormatError(
      `${source}: header length ${length} runs past the end of the file (${bytes.length} bytes)`,
    );
  }
  const n = Number(length);
  if (n > MAX_HEADER_BYTES)
    throw new DataFormatError(`${source}: header length ${n} is over the format's ${MAX_HEADER_BYTES}-byte limit`);
  const header = parseHeader(bytes, n, source);
  const buffer = bytes.subarray(8 + n);
  let metadata: Record<string, string> = Object.create(null);
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') metadata = readMetadata(info, source);
    else entries.push(checkEntry(name, info, buffer.length, source));
  }
  // The tensors must tile the buffer: no holes, no overlaps, nothing left over.
  const spans = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let end = 0;
  for (const e of spans) {
    if (e.begin !== end) {
      throw new DataFormatError(
        `${source}: tensor ${JSON.stringify(e.name)} starts at byte ${e.begin}, leaving a hole or overlap at ${end}`,
      );
    }
    end = e.end;
  }
  if (end !== buffer.length)
    throw new DataFormatError(`${source}: ${buffer.length - end} bytes at the end of the buffer belong to no tensor`);
  const tensors: Record<string, StTensor> = Object.create(null);
  for (const e of entries) {
    const data = decodeValues(e.dtype, buffer.subarray(e.begin, e.end), e.count, e.name, source);
    tensors[e.name] = { dtype: STORED_AS[e.dtype], shape: e.shape, data };
  }
  return { tensors, metadata };
}
