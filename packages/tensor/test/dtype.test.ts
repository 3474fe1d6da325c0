import { describe, expect, it } from 'vitest';
import {
  BYTES_PER_ELEMENT,
  DTYPES,
  arithmeticType,
  assertDType,
  dtypeOfArray,
  isDType,
  makeTypedArray,
  promoteTypes,
  scalarType,
  toTypedArray,
  type DType,
} from '../src/dtype';
import { DTypeError } from '../src/errors';

// The documented lattice (docs/architecture.md, "Dtypes"): bool < int32 < float32,
// arithmetic lifts bool to int32, JS numbers are weak.
const PROMOTE: Record<DType, Record<DType, DType>> = {
  bool: { bool: 'bool', int32: 'int32', float32: 'float32' },
  int32: { bool: 'int32', int32: 'int32', float32: 'float32' },
  float32: { bool: 'float32', int32: 'float32', float32: 'float32' },
};
const ARITH: Record<DType, Record<DType, DType>> = {
  bool: { bool: 'int32', int32: 'int32', float32: 'float32' },
  int32: { bool: 'int32', int32: 'int32', float32: 'float32' },
  float32: { bool: 'float32', int32: 'float32', float32: 'float32' },
};

describe('promoteTypes / arithmeticType', () => {
  for (const a of DTYPES) {
    for (const b of DTYPES) {
      it(`${a} with ${b}`, () => {
        expect(promoteTypes(a, b)).toBe(PROMOTE[a][b]);
        expect(arithmeticType(a, b)).toBe(ARITH[a][b]);
      });
    }
  }
});

describe('scalarType: JS numbers are weak', () => {
  const cases: [number, DType, DType][] = [
    [2, 'float32', 'float32'],
    [2.5, 'float32', 'float32'],
    [2, 'int32', 'int32'],
    [-3, 'int32', 'int32'],
    [2.5, 'int32', 'float32'],
    [NaN, 'int32', 'float32'],
    [Infinity, 'int32', 'float32'],
    [1, 'bool', 'int32'],
    [0.5, 'bool', 'float32'],
  ];
  for (const [value, t, want] of cases) {
    it(`${value} beside ${t} is ${want}`, () => expect(scalarType(value, t)).toBe(want));
  }
  it('int32 tensor + 2.5 computes in float32 end to end through arithmeticType', () => {
    expect(arithmeticType('int32', scalarType(2.5, 'int32'))).toBe('float32');
    expect(arithmeticType('int32', scalarType(2, 'int32'))).toBe('int32');
    expect(arithmeticType('bool', scalarType(1, 'bool'))).toBe('int32');
  });
});

describe('dtype helpers', () => {
  it('isDType / assertDType accept exactly the three dtypes', () => {
    for (const d of DTYPES) {
      expect(isDType(d)).toBe(true);
      expect(assertDType('op', d)).toBe(d);
    }
    for (const bad of ['float64', 'int64', 'uint8', 'Float32', '', undefined, 1]) {
      expect(isDType(bad)).toBe(false);
      expect(() => assertDType('myop', bad)).toThrow(DTypeError);
    }
    expect(() => assertDType('cast', 'float64')).toThrow(
      /cast: unknown dtype "float64"; expected one of float32, int32, bool/,
    );
  });

  it('bytes per element and typed array kinds', () => {
    expect(BYTES_PER_ELEMENT).toEqual({ float32: 4, int32: 4, bool: 1 });
    expect(makeTypedArray('float32', 3)).toEqual(new Float32Array(3));
    expect(makeTypedArray('int32', 2)).toEqual(new Int32Array(2));
    expect(makeTypedArray('bool', 5)).toEqual(new Uint8Array(5));
  });

  it('dtypeOfArray: integer arrays (uint8 included) store as int32, floats and plain arrays as float32', () => {
    expect(dtypeOfArray(new Float32Array(1))).toBe('float32');
    expect(dtypeOfArray(new Float64Array(1))).toBe('float32');
    for (const a of [
      new Int32Array(1),
      new Uint8Array(1),
      new Uint8ClampedArray(1),
      new Int8Array(1),
      new Int16Array(1),
      new Uint16Array(1),
      new Uint32Array(1),
    ]) {
      expect(dtypeOfArray(a)).toBe('int32');
    }
    expect(dtypeOfArray([1, 2])).toBe('float32');
  });

  it('toTypedArray converts values: bool is != 0, int32 truncates toward zero, float32 rounds', () => {
    expect(Array.from(toTypedArray([0, 2, -1, true, false, 0.5], 'bool'))).toEqual([0, 1, 1, 1, 0, 1]);
    expect(Array.from(toTypedArray([1.9, -1.9, true, 255], 'int32'))).toEqual([1, -1, 1, 255]);
    expect(Array.from(toTypedArray([0.1], 'float32'))).toEqual([Math.fround(0.1)]);
    expect(Array.from(toTypedArray(new Uint8Array([0, 200, 255]), 'int32'))).toEqual([0, 200, 255]);
  });
});
