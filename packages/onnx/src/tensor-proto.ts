import { DataFormatError } from '@tsdl/tensor';
import { ONNX, dataType, dataTypeName } from './data-types';
import { int64 } from './int64';
import type { TensorProto } from './proto/types';

/**
 * A tensor's values on the host: float types as float32 (so weights upload
 * without a copy), integers and bools as exact doubles (int64 shapes and
 * indices are JS numbers; |n| > 2^53 rounds).
 */
export interface HostArray {
  /** The ONNX data type code. */
  type: number;
  shape: number[];
  data: Float32Array | Float64Array;
}

/** The most elements one tensor may have (int32 indexing on every backend). */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** Checks a list of dims (non-negative exact integers, a product within MAX_ELEMENTS) and returns them with their product. */
export function checkDims(dims: readonly number[], where: string): number {
  let count = 1;
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    if (!Number.isSafeInteger(d) || d < 0)
      throw new DataFormatError(`${where}: dims[${i}] is ${d}, not a size (an integer >= 0)`);
    count *= d;
    if (count > MAX_ELEMENTS)
      throw new DataFormatError(`${where}: dims [${dims.join(', ')}] hold more than ${MAX_ELEMENTS} elements`);
  }
  return count;
}

/**
 * Decodes an initializer or attribute tensor, checking everything a file could
 * lie about before allocating: the data type, the dims, that the values are
 * stored in the file (external data is refused), and that raw_data or the
 * typed field holds exactly dims' product of elements. `where` names the
 * tensor in errors ("model.onnx: initializer 'fc.weight'").
 */
export function decodeTensorProto(t: TensorProto, where: string): HostArray {
  if ((t.dataLocation ?? 0) !== 0 || (t.externalData?.length ?? 0) > 0) {
    const location = t.externalData?.find((e) => e.key === 'location')?.value;
    throw new DataFormatError(
      `${where}: data_location is EXTERNAL${location ? ` (file '${location}')` : ''}; tsdl reads models whose weights are inside the .onnx file only (save with onnx.save_model(model, path, save_as_external_data=False))`,
    );
  }
  if (t.segment)
    throw new DataFormatError(`${where}: segment is set (a tensor split across messages), which tsdl does not read`);
  const code = t.dataType ?? 0;
  const info = dataType(code);
  if (!info)
    throw new DataFormatError(
      `${where}: data_type ${code} (${dataTypeName(code)}) is not a numeric type tsdl can hold`,
    );
  const shape = (t.dims ?? []).map((d, i) => {
    const n = int64(d);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new DataFormatError(
        `${where}: dims[${i}] is ${typeof d === 'object' ? d.toString() : n}, not a size (an integer >= 0)`,
      );
    return n;
  });
  const count = checkDims(shape, where);
  const float = info.dtype === 'float32';
  const raw = t.rawData;
  const fieldValues = (t[info.field] ?? []) as ArrayLike<unknown>;
  if (raw && raw.length > 0) {
    if (fieldValues.length > 0)
      throw new DataFormatError(
        `${where}: both raw_data and ${snake(info.field)} hold values; a tensor has one or the other`,
      );
    const want = count * info.bytes;
    if (raw.length !== want) {
      throw new DataFormatError(
        `${where}: raw_data has ${raw.length} bytes but dims [${shape.join(', ')}] of ${info.name} need ${want} (${count} × ${info.bytes})`,
      );
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const data = float ? new Float32Array(count) : new Float64Array(count);
    if (code === ONNX.FLOAT) {
      // The common case, without a call per element.
      const bytes = new Uint8Array(data.buffer);
      bytes.set(raw);
      if (!littleEndian) for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
    } else {
      for (let i = 0; i < count; i++) data[i] = info.read(view, i);
    }
    return { type: code, shape, data };
  }
  if (fieldValues.length !== count) {
    throw new DataFormatError(
      `${where}: ${snake(info.field)} has ${fieldValues.length} values but dims [${shape.join(', ')}] of ${info.name} need ${count}`,
    );
  }
  const data = float ? new Float32Array(count) : new Float64Array(count);
  const conv = fromField(code);
  for (let i = 0; i < count; i++) {
    const v = conv(fieldValues[i]);
    if (Number.isNaN(v) && !float) throw new DataFormatError(`${where}: ${snake(info.field)}[${i}] is not a number`);
    data[i] = v;
  }
  return { type: code, shape, data };
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const snake = (field: string): string =>
  field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/(\d+)_data/, '$1_data');

/** How a typed-field value becomes the element (ONNX stores narrow types widened, float16 as its bits). */
function fromField(code: number): (v: unknown) => number {
  const num = (v: unknown): number =>
    typeof v === 'number'
      ? v
      : v && typeof v === 'object' && 'toNumber' in v
        ? (v as { toNumber(): number }).toNumber()
        : NaN;
  switch (code) {
    case ONNX.FLOAT16:
      return (v) => halfBits(num(v));
    case ONNX.BFLOAT16:
      return (v) => bfloatBits(num(v));
    case ONNX.BOOL:
      return (v) => (num(v) !== 0 ? 1 : 0);
    default:
      return num;
  }
}

function halfBits(bits: number): number {
  const dv = new DataView(new ArrayBuffer(2));
  dv.setUint16(0, bits & 0xffff, true);
  return dataType(ONNX.FLOAT16)!.read(dv, 0);
}

function bfloatBits(bits: number): number {
  const dv = new DataView(new ArrayBuffer(2));
  dv.setUint16(0, bits & 0xffff, true);
  return dataType(ONNX.BFLOAT16)!.read(dv, 0);
}
