import type { DType } from '@tsdl/tensor';

/** ONNX's TensorProto.DataType codes tsdl reads. */
export const ONNX = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

export interface DataTypeInfo {
  name: string;
  /** The tsdl dtype that holds it: every float type is float32, every integer int32. */
  dtype: DType;
  /** Bytes per element in raw_data. */
  bytes: number;
  /** The TensorProto field that holds values when raw_data is empty (ONNX's rules). */
  field: 'floatData' | 'int32Data' | 'int64Data' | 'doubleData' | 'uint64Data';
  /** Reads element i of little-endian raw_data. */
  read(view: DataView, i: number): number;
}

const info = (
  name: string,
  dtype: DType,
  bytes: number,
  field: DataTypeInfo['field'],
  read: DataTypeInfo['read'],
): DataTypeInfo => ({
  name,
  dtype,
  bytes,
  field,
  read,
});

const TYPES = new Map<number, DataTypeInfo>([
  [ONNX.FLOAT, info('float', 'float32', 4, 'floatData', (v, i) => v.getFloat32(i * 4, true))],
  [ONNX.UINT8, info('uint8', 'int32', 1, 'int32Data', (v, i) => v.getUint8(i))],
  [ONNX.INT8, info('int8', 'int32', 1, 'int32Data', (v, i) => v.getInt8(i))],
  [ONNX.UINT16, info('uint16', 'int32', 2, 'int32Data', (v, i) => v.getUint16(i * 2, true))],
  [ONNX.INT16, info('int16', 'int32', 2, 'int32Data', (v, i) => v.getInt16(i * 2, true))],
  [ONNX.INT32, info('int32', 'int32', 4, 'int32Data', (v, i) => v.getInt32(i * 4, true))],
  [ONNX.INT64, info('int64', 'int32', 8, 'int64Data', (v, i) => Number(v.getBigInt64(i * 8, true)))],
  [ONNX.BOOL, info('bool', 'bool', 1, 'int32Data', (v, i) => (v.getUint8(i) !== 0 ? 1 : 0))],
  [ONNX.FLOAT16, info('float16', 'float32', 2, 'int32Data', (v, i) => halfToFloat(v.getUint16(i * 2, true)))],
  [ONNX.DOUBLE, info('double', 'float32', 8, 'doubleData', (v, i) => v.getFloat64(i * 8, true))],
  [ONNX.UINT32, info('uint32', 'int32', 4, 'uint64Data', (v, i) => v.getUint32(i * 4, true))],
  [ONNX.UINT64, info('uint64', 'int32', 8, 'uint64Data', (v, i) => Number(v.getBigUint64(i * 8, true)))],
  [ONNX.BFLOAT16, info('bfloat16', 'float32', 2, 'int32Data', (v, i) => bfloatToFloat(v.getUint16(i * 2, true)))],
]);

const NAMES: Record<number, string> = { 0: 'undefined', 8: 'string', 14: 'complex64', 15: 'complex128' };

/** What tsdl knows of an ONNX data type, or undefined for one it cannot hold (string, complex, undefined). */
export function dataType(code: number): DataTypeInfo | undefined {
  return TYPES.get(code);
}

/** An ONNX data type's name for messages ("int64", "string", "type 42"). */
export function dataTypeName(code: number): string {
  return TYPES.get(code)?.name ?? NAMES[code] ?? `type ${code}`;
}

export const isFloatType = (code: number): boolean => TYPES.get(code)?.dtype === 'float32';
export const isIntType = (code: number): boolean => TYPES.get(code)?.dtype === 'int32';

/** The ONNX type a tsdl dtype is exported as. */
export function onnxTypeOf(dtype: DType): number {
  return dtype === 'float32' ? ONNX.FLOAT : dtype === 'int32' ? ONNX.INT32 : ONNX.BOOL;
}

/** IEEE half-precision bits to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits (the top half of a float32) to a number. */
export function bfloatToFloat(b: number): number {
  const f = new Float32Array(1);
  new Uint32Array(f.buffer)[0] = (b & 0xffff) << 16;
  return f[0];
}
