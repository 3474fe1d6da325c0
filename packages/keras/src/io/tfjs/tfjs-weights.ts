import { DataFormatError } from '@tsdl/tensor';

/**
 * TF.js' weight files: one entry per weight in `weightsManifest[].weights`
 * (name, shape, dtype and an optional quantization), and the bytes of all of
 * them concatenated in manifest order across the shards. Quantized weights
 * (the converter's `--quantize_uint8/uint16/float16`) are dequantized here to
 * the dtype the entry names, as tf.io.decodeWeights does.
 */

export type TfjsDtype = 'float32' | 'int32' | 'bool';

export interface TfjsQuantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  scale?: number;
  min?: number;
  original_dtype?: string;
}

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: TfjsDtype;
  quantization?: TfjsQuantization;
}

export interface DecodedWeight {
  dtype: 'float32' | 'int32' | 'bool';
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** The largest weight we accept (elements): a shape from a file must not make us allocate without bound. */
const MAX_ELEMENTS = 2 ** 31 - 1;

function fail(source: string, field: string, what: string): never {
  throw new DataFormatError(`${source}: ${field} ${what}`);
}

/** Checks one manifest entry (it comes from a file) and returns its element count and stored byte length. */
export function checkWeightSpec(
  spec: unknown,
  source: string,
  field: string,
): { spec: TfjsWeightSpec; size: number; bytes: number } {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
    fail(source, field, 'must be an object { name, shape, dtype }');
  const s = spec as Record<string, unknown>;
  if (typeof s.name !== 'string' || s.name === '')
    fail(source, `${field}.name`, `must be a non-empty string, got ${JSON.stringify(s.name)}`);
  if (!Array.isArray(s.shape) || !s.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    fail(
      source,
      `${field}.shape`,
      `of '${s.name}' must be a list of non-negative integers, got ${JSON.stringify(s.shape)}`,
    );
  }
  const size = (s.shape as number[]).reduce((a, b) => a * b, 1);
  if (size > MAX_ELEMENTS)
    fail(source, `${field}.shape`, `of '${s.name}' has ${size} elements, more than a tensor can hold`);
  if (s.dtype !== 'float32' && s.dtype !== 'int32' && s.dtype !== 'bool') {
    fail(
      source,
      `${field}.dtype`,
      `of '${s.name}' must be float32, int32 or bool, got ${JSON.stringify(s.dtype)} (string and complex weights are not supported)`,
    );
  }
  let stored = s.dtype;
  if (s.quantization !== undefined) {
    const q = s.quantization as Record<string, unknown> | null;
    if (q === null || typeof q !== 'object') fail(source, `${field}.quantization`, `of '${s.name}' must be an object`);
    if (q.dtype === 'uint8' || q.dtype === 'uint16') {
      if (
        typeof q.scale !== 'number' ||
        !Number.isFinite(q.scale) ||
        typeof q.min !== 'number' ||
        !Number.isFinite(q.min)
      ) {
        fail(source, `${field}.quantization`, `of '${s.name}' (${q.dtype}) needs finite numbers scale and min`);
      }
      if (s.dtype === 'bool')
        fail(source, `${field}.quantization`, `of '${s.name}': a bool weight cannot be quantized`);
    } else if (q.dtype === 'float16') {
      if (s.dtype !== 'float32')
        fail(
          source,
          `${field}.quantization`,
          `of '${s.name}': float16 quantization is only for float32 weights, got ${s.dtype}`,
        );
    } else {
      fail(
        source,
        `${field}.quantization.dtype`,
        `of '${s.name}' must be uint8, uint16 or float16, got ${JSON.stringify(q.dtype)}`,
      );
    }
    stored = q.dtype;
  }
  return { spec: s as unknown as TfjsWeightSpec, size, bytes: size * BYTES[stored as string] };
}

/** IEEE half precision to float, for float16-quantized weights. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Decodes one weight from its stored bytes (exactly its byte length, checked by the caller). */
function decodeOne(spec: TfjsWeightSpec, size: number, bytes: Uint8Array): DecodedWeight {
  // A copy aligned for typed-array views; shards concatenate entries of any byte length.
  const buf = bytes.slice().buffer;
  const q = spec.quantization;
  if (!q) {
    const data =
      spec.dtype === 'float32'
        ? new Float32Array(buf)
        : spec.dtype === 'int32'
          ? new Int32Array(buf)
          : new Uint8Array(buf);
    if (spec.dtype === 'bool') for (let i = 0; i < size; i++) data[i] = data[i] ? 1 : 0;
    return { dtype: spec.dtype, shape: spec.shape, data };
  }
  const stored = q.dtype === 'uint8' ? new Uint8Array(buf) : new Uint16Array(buf);
  if (q.dtype === 'float16') {
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = halfToFloat(stored[i]);
    return { dtype: 'float32', shape: spec.shape, data };
  }
  const scale = q.scale as number;
  const min = q.min as number;
  if (spec.dtype === 'int32') {
    const data = new Int32Array(size);
    for (let i = 0; i < size; i++) data[i] = Math.round(stored[i] * scale + min);
    return { dtype: 'int32', shape: spec.shape, data };
  }
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = stored[i] * scale + min;
  return { dtype: 'float32', shape: spec.shape, data };
}

/**
 * Decodes every weight of a manifest from the concatenated bytes of its shards.
 * Every entry is checked and the total length compared before anything is decoded,
 * so a file that lies about a size fails at once, naming the weight.
 */
export function decodeTfjsWeights(
  specs: readonly unknown[],
  data: Uint8Array,
  source: string,
): Map<string, DecodedWeight> {
  const checked = specs.map((s, i) => checkWeightSpec(s, source, `weightsManifest weight ${i}`));
  const total = checked.reduce((a, c) => a + c.bytes, 0);
  if (total !== data.byteLength) {
    fail(
      source,
      'weight data',
      `is ${data.byteLength} bytes, but the manifest's ${checked.length} weights need ${total}`,
    );
  }
  const out = new Map<string, DecodedWeight>();
  let at = 0;
  for (const { spec, size, bytes } of checked) {
    if (out.has(spec.name)) fail(source, 'weightsManifest', `names the weight '${spec.name}' twice`);
    out.set(spec.name, decodeOne(spec, size, data.subarray(at, at + bytes)));
    at += bytes;
  }
  return out;
}

/** The manifest entries and concatenated bytes for weights to save (float32 / int32 / bool, unquantized). */
export function encodeTfjsWeights(weights: readonly [string, DecodedWeight][]): {
  specs: TfjsWeightSpec[];
  data: Uint8Array;
} {
  const total = weights.reduce((a, [, w]) => a + w.data.length * BYTES[w.dtype], 0);
  const data = new Uint8Array(total);
  const specs: TfjsWeightSpec[] = [];
  let at = 0;
  for (const [name, w] of weights) {
    const bytes = new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.length * BYTES[w.dtype]);
    data.set(bytes, at);
    at += bytes.length;
    specs.push({ name, shape: [...w.shape], dtype: w.dtype });
  }
  return { specs, data };
}
