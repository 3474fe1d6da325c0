import { DataFormatError } from '@tsdl/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type StTensor, decodeSafetensors, encodeSafetensors } from '../src/io/safetensors';

/*
 * Property tests: random files, and random damage to them. Every outcome must
 * be either the tensors the bytes really hold (read by the small reference
 * reader below, written from the format's description and independent of the
 * decoder) or a DataFormatError that names the file; never a RangeError, a
 * TypeError, a hang or a huge allocation.
 */

const SOURCE = 'prop/model.safetensors';
const DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL'] as const;
type Dt = (typeof DTYPES)[number];
const SIZE: Record<Dt, number> = {
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

// ---------------------------------------------------------------------------
// The reference reader.

type Expected = { dtype: StTensor['dtype']; shape: number[]; values: number[] } | 'invalid';

/** IEEE binary16 by its definition (sign, 5-bit exponent bias 15, 10-bit fraction). */
function half(bits: number): number {
  const sign = bits >>> 15 ? -1 : 1;
  const exp = (bits >>> 10) & 31;
  const frac = bits & 1023;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return exp === 0 ? sign * (frac / 1024) * Math.pow(2, -14) : sign * (1 + frac / 1024) * Math.pow(2, exp - 15);
}

/** One value as tsdl stores it (float32, int32, bool); 'invalid' where tsdl must refuse it. */
function readValue(dt: Dt, b: Uint8Array): number | 'invalid' {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const int = (x: number | bigint): number | 'invalid' => (x >= -(2 ** 31) && x <= 2 ** 31 - 1 ? Number(x) : 'invalid');
  switch (dt) {
    case 'F64':
      return Math.fround(v.getFloat64(0, true));
    case 'F32':
      return v.getFloat32(0, true);
    case 'F16':
      return Math.fround(half(v.getUint16(0, true)));
    case 'BF16':
      return new Float32Array(new Uint8Array([0, 0, b[0], b[1]]).buffer)[0];
    case 'I64':
      return int(v.getBigInt64(0, true));
    case 'U64':
      return int(v.getBigUint64(0, true));
    case 'I32':
      return v.getInt32(0, true);
    case 'U32':
      return int(v.getUint32(0, true));
    case 'I16':
      return v.getInt16(0, true);
    case 'U16':
      return v.getUint16(0, true);
    case 'I8':
      return v.getInt8(0);
    case 'U8':
      return v.getUint8(0);
    case 'BOOL':
      return b[0] <= 1 ? b[0] : 'invalid';
  }
}

/**
 * What a file holds, by the format's rules, using JSON.parse (so only for
 * headers without duplicate keys: the decoder rejects those, and a file it
 * accepts has none). 'invalid' for anything the format or tsdl rejects.
 */
function reference(bytes: Uint8Array): Record<string, Expected> | 'invalid' {
  if (bytes.length < 8) return 'invalid';
  const n = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) return 'invalid';
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + Number(n))));
  } catch {
    return 'invalid';
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return 'invalid';
  const buffer = bytes.subarray(8 + Number(n));
  const out: Record<string, Expected> = Object.create(null);
  const spans: [number, number][] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (
        info !== null &&
        (typeof info !== 'object' || Array.isArray(info) || Object.values(info).some((s) => typeof s !== 'string'))
      )
        return 'invalid';
      continue;
    }
    if (typeof info !== 'object' || info === null || Array.isArray(info)) return 'invalid';
    const { dtype, shape, data_offsets: offs } = info as Record<string, unknown>;
    if (!(DTYPES as readonly unknown[]).includes(dtype)) return 'invalid';
    const isIdx = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
    if (!Array.isArray(shape) || !shape.every(isIdx)) return 'invalid';
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isIdx)) return 'invalid';
    const [b, e] = offs as number[];
    const count = (shape as number[]).reduce((a, d) => a * d, 1);
    const dt = dtype as Dt;
    if (b > e || e > buffer.length || e - b !== count * SIZE[dt]) return 'invalid';
    spans.push([b, e]);
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      const x = readValue(dt, buffer.subarray(b + i * SIZE[dt], b + (i + 1) * SIZE[dt]));
      if (x === 'invalid') return 'invalid';
      values.push(x);
    }
    out[name] = {
      dtype: dt === 'BOOL' ? 'BOOL' : dt.startsWith('F') || dt === 'BF16' ? 'F32' : 'I32',
      shape: shape as number[],
      values,
    };
  }
  spans.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let end = 0;
  for (const [b, e] of spans) {
    if (b !== end) return 'invalid';
    end = e;
  }
  return end === buffer.length ? out : 'invalid';
}

/** Same numbers, NaN equal to NaN (payloads may differ once a NaN is converted). */
const sameValues = (a: ArrayLike<number>, b: readonly number[]) =>
  a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]) || (Number.isNaN(x) && Number.isNaN(b[i])));

/** The decoder's verdict on `bytes`, checked against the reference: exact tensors or a DataFormatError, nothing else. */
function check(bytes: Uint8Array, mustLoad = false): void {
  const want = reference(bytes);
  let got: ReturnType<typeof decodeSafetensors>;
  try {
    got = decodeSafetensors(bytes, SOURCE);
  } catch (e) {
    if (!(e instanceof DataFormatError)) throw new Error(`not a DataFormatError: ${(e as Error)?.stack ?? e}`);
    expect((e as Error).message.startsWith(`${SOURCE}: `)).toBe(true);
    // A file the reference reads in full must load, unless its header repeats a key (JSON.parse hides that).
    if (want !== 'invalid' && !/twice/.test((e as Error).message))
      throw new Error(`rejected a valid file: ${(e as Error).message}`);
    expect(mustLoad).toBe(false);
    return;
  }
  expect(want).not.toBe('invalid');
  const w = want as Record<string, Expected>;
  expect(Object.keys(got.tensors).sort()).toEqual(Object.keys(w).sort());
  for (const [name, t] of Object.entries(got.tensors)) {
    const e = w[name] as Exclude<Expected, 'invalid'>;
    expect(t.dtype).toBe(e.dtype);
    expect(t.shape).toEqual(e.shape);
    expect(t.data.length).toBe(e.values.length);
    if (!sameValues(t.data, e.values)) throw new Error(`tensor ${JSON.stringify(name)}: ${[...t.data]} != ${e.values}`);
  }
}

// ---------------------------------------------------------------------------
// Random files.

const NAMES = fc
  .oneof(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      '',
      'dense/kernel',
      '0',
      'é',
      '\u{1F600}',
      '"q"',
      '\\',
    ),
    fc.string({ maxLength: 6 }),
    fc.string({ unit: 'binary', maxLength: 4 }),
  )
  .filter((s) => s !== '__metadata__');
const SHAPES = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });

/** A tsdl-side tensor (F32 / I32 / BOOL) with values that survive the round trip exactly. */
const stTensor: fc.Arbitrary<StTensor> = fc
  .tuple(fc.constantFrom('F32', 'I32', 'BOOL' as const), SHAPES)
  .chain(([dtype, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data =
      dtype === 'F32'
        ? fc.float32Array({ minLength: n, maxLength: n, noDefaultInfinity: false })
        : dtype === 'I32'
          ? fc.int32Array({ minLength: n, maxLength: n })
          : fc.uint8Array({ min: 0, max: 1, minLength: n, maxLength: n });
    return data.map((d) => ({ dtype, shape, data: d }) as StTensor);
  });
const tensorSets = fc.dictionary(NAMES, stTensor, { maxKeys: 5, noNullPrototype: false });
const metadata = fc.option(
  fc.dictionary(
    fc.string({ maxLength: 5 }).filter((s) => s !== ''),
    fc.string({ maxLength: 8 }),
    { maxKeys: 3 },
  ),
  { nil: undefined },
);

/** A file in any stored dtype, written by hand (another tool's layout: random order, random padding). */
const foreignFile = fc
  .uniqueArray(fc.tuple(NAMES, fc.constantFrom(...DTYPES), SHAPES), { maxLength: 5, selector: ([n]) => n })
  .chain((specs) =>
    fc.tuple(
      fc.constant(specs),
      fc.tuple(
        ...specs.map(([, dt, shape]) =>
          fc.uint8Array({
            minLength: shape.reduce((a, b) => a * b, 1) * SIZE[dt],
            maxLength: shape.reduce((a, b) => a * b, 1) * SIZE[dt],
          }),
        ),
      ),
      fc.shuffledSubarray([...specs.keys()], { minLength: specs.length, maxLength: specs.length }),
      fc.nat(9),
    ),
  )
  .map(([specs, datas, order, pad]) => {
    const header: Record<string, unknown> = Object.create(null);
    let offset = 0;
    const buffers: Uint8Array[] = [];
    for (const k of order) {
      const [name, dtype, shape] = specs[k];
      header[name] = { dtype, shape, data_offsets: [offset, offset + datas[k].length] };
      offset += datas[k].length;
      buffers.push(datas[k]);
    }
    const json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
    const out = new Uint8Array(8 + json.length + offset);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    let at = 8 + json.length;
    for (const b of buffers) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  });

/** Files of both kinds; the mutations below start from these. */
const anyFile = fc.oneof(
  fc.tuple(tensorSets, metadata).map(([t, m]) => encodeSafetensors(t, m)),
  foreignFile,
);

// ---------------------------------------------------------------------------
// Damage.

const headerLength = (b: Uint8Array) => Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));

/** Rewrites the header's JSON with `edit` and puts the length field right (or leaves it, if `keepLength`). */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, any>) => string, keepLength = false): Uint8Array {
  const n = headerLength(bytes);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)), (k, v) => v);
  const json = new TextEncoder().encode(edit(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, keepLength ? BigInt(n) : BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

/** Values a malicious or broken header puts where numbers, strings or arrays belong. */
const WEIRD = fc.oneof(
  fc.constantFrom(
    -16,
    -1,
    0,
    1,
    3,
    7,
    1.5,
    2 ** 31,
    2 ** 53,
    2 ** 64,
    1e300,
    '0',
    '4',
    null,
    true,
    [],
    [0],
    [0, 1, 2],
    {},
    'F32',
    'toString',
    '__proto__',
    'Q4',
    [-16, 0],
    ['0', '4'],
    [2 ** 40, 2 ** 40, 2 ** 40],
  ),
  fc.integer({ min: -4, max: 64 }),
  fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 2 }),
);

type Mutation = (b: Uint8Array) => Uint8Array;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // byte flips anywhere: length field, header, data
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map(
    (flips): Mutation =>
      (b) => {
        const out = b.slice();
        for (const [at, x] of flips) if (out.length) out[at % out.length] ^= x;
        return out;
      },
  ),
  // truncation and extension
  fc.nat().map(
    (cut): Mutation =>
      (b) =>
        b.subarray(0, cut % (b.length + 1)),
  ),
  fc.uint8Array({ minLength: 1, maxLength: 9 }).map(
    (extra): Mutation =>
      (b) => {
        const out = new Uint8Array(b.length + extra.length);
        out.set(b);
        out.set(extra, b.length);
        return out;
      },
  ),
  // the length field: small shifts, and any 64-bit value
  fc.oneof(fc.integer({ min: -9, max: 9 }).map(BigInt), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(
    (v): Mutation =>
      (b) => {
        const out = b.slice();
        const dv = new DataView(out.buffer);
        const shifted = v >= -9n && v <= 9n ? dv.getBigUint64(0, true) + v : v;
        dv.setBigUint64(0, BigInt.asUintN(64, shifted), true);
        return out;
      },
  ),
  // header edits: one field of one tensor set to a weird value (the length field kept right, or not)
  fc.tuple(fc.nat(), fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra'), WEIRD, fc.boolean()).map(
    ([k, field, value, keep]): Mutation =>
      (b) =>
        withHeader(
          b,
          (h) => {
            const names = Object.keys(h).filter((n) => n !== '__metadata__');
            if (names.length) h[names[k % names.length]][field] = value;
            return JSON.stringify(h);
          },
          keep,
        ),
  ),
  // one offset nudged: holes, overlaps, sizes that disagree with dtype x shape
  fc.tuple(fc.nat(), fc.nat(1), fc.integer({ min: -5, max: 5 })).map(
    ([k, which, d]): Mutation =>
      (b) =>
        withHeader(b, (h) => {
          const names = Object.keys(h).filter((n) => n !== '__metadata__');
          if (names.length) h[names[k % names.length]].data_offsets[which] += d;
          return JSON.stringify(h);
        }),
  ),
  // a whole entry or the metadata replaced, a tensor renamed, a tensor given twice in the text
  fc.tuple(fc.nat(), WEIRD, fc.constantFrom('replace', 'metadata', 'rename', 'duplicate', 'drop')).map(
    ([k, value, how]): Mutation =>
      (b) =>
        withHeader(b, (h) => {
          const names = Object.keys(h).filter((n) => n !== '__metadata__');
          const name = names[k % Math.max(names.length, 1)];
          if (how === 'metadata') h.__metadata__ = value;
          else if (name === undefined) return JSON.stringify(value);
          else if (how === 'replace') h[name] = value;
          else if (how === 'drop') delete h[name];
          else if (how === 'rename') {
            const text = JSON.stringify(h);
            return text.replace(JSON.stringify(name) + ':', '"__proto__":');
          } else {
            const text = JSON.stringify(h);
            return `{${JSON.stringify(name)}:${JSON.stringify(h[name])},${text.slice(1)}`;
          }
          return JSON.stringify(h);
        }),
  ),
  // the whole header replaced by any JSON value
  fc.jsonValue({ maxDepth: 3 }).map(
    (v): Mutation =>
      (b) =>
        withHeader(b, () => JSON.stringify(v) ?? 'null'),
  ),
);

const RUNS = 400;

describe('safetensors (property tests)', () => {
  it('round-trips any set of float32 / int32 / bool tensors, with any names and metadata', () => {
    fc.assert(
      fc.property(tensorSets, metadata, (tensors, meta) => {
        const bytes = encodeSafetensors(tensors, meta);
        const got = decodeSafetensors(bytes, SOURCE);
        expect(Object.keys(got.tensors).sort()).toEqual(Object.keys(tensors).sort());
        for (const [name, t] of Object.entries(tensors)) {
          expect(got.tensors[name].dtype).toBe(t.dtype);
          expect(got.tensors[name].shape).toEqual(t.shape);
          expect(sameValues(got.tensors[name].data, [...t.data])).toBe(true);
        }
        expect({ ...got.metadata }).toEqual(meta && Object.keys(meta).length ? { ...meta } : {});
        check(bytes, true);
      }),
      { numRuns: RUNS },
    );
  });

  it("reads other tools' files in every dtype exactly as the reference reader does", () => {
    fc.assert(
      fc.property(foreignFile, (bytes) => check(bytes)),
      { numRuns: RUNS },
    );
  });

  it('loads a damaged file exactly or throws a DataFormatError naming it, nothing else', () => {
    fc.assert(
      fc.property(anyFile, fc.array(mutation, { minLength: 1, maxLength: 3 }), (bytes, ms) => {
        let b = bytes;
        for (const m of ms) {
          try {
            b = m(b);
          } catch {
            // a header edit on bytes an earlier mutation made unreadable: keep the bytes as they are
          }
        }
        check(b);
      }),
      { numRuns: 1500 },
    );
  });

  it('throws a DataFormatError for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(64), (rest, n) => {
        const b = new Uint8Array(8 + rest.length);
        b[0] = n;
        b.set(rest, 8);
        check(b);
        check(rest);
      }),
      { numRuns: RUNS },
    );
  });
});
