import { DataFormatError } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors';

/** A file from raw header text (so it can hold what JSON.stringify never writes: duplicate keys) and buffer bytes. */
function file(headerText: string, buffer: number[] = [], lengthField?: bigint): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + buffer.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(buffer, 8 + json.length);
  return out;
}
const entry = (dtype: unknown, shape: unknown, offs: unknown) => ({ dtype, shape, data_offsets: offs });
const withHeader = (header: object, buffer: number[] = []) => file(JSON.stringify(header), buffer);

function failure(bytes: Uint8Array): Error {
  try {
    decodeSafetensors(bytes, 'ckpt/model.safetensors');
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the file to be rejected');
}

describe('safetensors headers from outside', () => {
  // Each case: the file, then what the message must say (the file name is checked for all).
  const cases: [string, Uint8Array, RegExp][] = [
    [
      'negative offsets',
      withHeader({ w: entry('F32', [4], [-16, 0]) }, new Array(16).fill(0)),
      /tensor "w": data_offsets\[0\] is -16, not a non-negative integer/,
    ],
    [
      'offsets as strings',
      withHeader({ w: entry('U8', [1], ['0', '1']) }, [0]),
      /tensor "w": data_offsets\[0\] is "0"/,
    ],
    [
      'fractional offsets',
      withHeader({ w: entry('U8', [1], [0, 1.5]) }, [0, 0]),
      /tensor "w": data_offsets\[1\] is 1\.5/,
    ],
    [
      'offsets past 2^53',
      file('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551616]}}', [0]),
      /tensor "w": data_offsets\[1\] is 18446744073709552000/,
    ],
    [
      'one offset',
      withHeader({ w: entry('U8', [1], [0]) }, [0]),
      /tensor "w": data_offsets must be \[begin, end\], got \[0\]/,
    ],
    [
      'offsets out of the file',
      withHeader({ w: entry('U8', [2], [0, 2]) }, [0]),
      /tensor "w": data_offsets \[0,2\] run outside the 1-byte buffer/,
    ],
    [
      'reversed offsets',
      withHeader({ w: entry('U8', [0], [1, 0]) }, [0]),
      /tensor "w": data_offsets \[1,0\] run outside/,
    ],
    [
      'overlapping tensors',
      withHeader({ a: entry('U8', [2], [0, 2]), b: entry('U8', [2], [1, 3]) }, [0, 0, 0]),
      /tensor "b" starts at byte 1, leaving a hole or overlap at 2/,
    ],
    [
      'a hole',
      withHeader({ a: entry('U8', [1], [0, 1]), b: entry('U8', [1], [2, 3]) }, [0, 0, 0]),
      /tensor "b" starts at byte 2, leaving a hole or overlap at 1/,
    ],
    [
      'size disagreeing with dtype x shape',
      withHeader({ w: entry('F32', [2, 3], [0, 12]) }, new Array(12).fill(0)),
      /tensor "w": F32 of shape \[2,3\] needs 24 bytes but its data_offsets \[0,12\] span 12/,
    ],
    [
      'a huge shape',
      withHeader({ w: entry('F32', [2 ** 40, 2 ** 40, 2 ** 40], [0, 4]) }, [0, 0, 0, 0]),
      /tensor "w": shape \[1099511627776,1099511627776,1099511627776\] \(F32\) needs more than 2\^53 bytes/,
    ],
    [
      'a negative dimension',
      withHeader({ w: entry('U8', [-1], [0, 0]) }),
      /tensor "w": shape\[0\] is -1, not a non-negative integer/,
    ],
    ['a string dimension', withHeader({ w: entry('U8', ['2'], [0, 2]) }, [0, 0]), /tensor "w": shape\[0\] is "2"/],
    [
      'a shape that is no array',
      withHeader({ w: entry('U8', 2, [0, 2]) }, [0, 0]),
      /tensor "w": shape must be an array of dimensions, got 2/,
    ],
    ['an unknown dtype', withHeader({ w: entry('Q4', [1], [0, 1]) }, [0]), /tensor "w": unknown dtype "Q4"/],
    [
      'a dtype naming an Object.prototype member',
      withHeader({ w: entry('toString', [1], [0, 1]) }, [0]),
      /tensor "w": unknown dtype "toString"/,
    ],
    [
      'a dtype in an array',
      withHeader({ w: entry(['F32'], [1], [0, 4]) }, [0, 0, 0, 0]),
      /tensor "w": unknown dtype \["F32"\]/,
    ],
    [
      'a missing dtype',
      withHeader({ w: { shape: [1], data_offsets: [0, 1] } }, [0]),
      /tensor "w": unknown dtype missing/,
    ],
    ['an entry that is no object', withHeader({ w: [1, 2] }), /tensor "w": its header entry must be an object/],
    [
      'a tensor named twice',
      file(
        '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}',
        [0, 0],
      ),
      /the header names tensor "w" twice/,
    ],
    [
      'a field given twice',
      file('{"w":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}', [0]),
      /the header entry "w" has the key "dtype" twice/,
    ],
    [
      'a header length past the file',
      file('{}', [], 2n ** 64n - 1n),
      /header length 18446744073709551615 runs past the end of the file \(10 bytes\)/,
    ],
    ['a header that is an array', file('[]'), /header must be a JSON object, got \[\]/],
    ['a header that is a number', file('7'), /header must be a JSON object, got 7/],
    ['a header that is null', file('null'), /header must be a JSON object, got null/],
    ['a header that is not JSON', file('{"w":'), /header is not valid UTF-8 JSON \(unexpected token at character 5/],
    [
      'a header with trailing text',
      file('{} x'),
      /header is not valid UTF-8 JSON \(unexpected text after the JSON value/,
    ],
    ['a header that is not UTF-8', file('{}').map((b, i) => (i === 8 ? 0xff : b)), /header is not valid UTF-8 JSON/],
    [
      'a header nested a million deep',
      file('{"a":' + '['.repeat(1e6) + ']'.repeat(1e6) + '}'),
      /nesting deeper than 64 levels/,
    ],
    [
      'metadata that is no object',
      withHeader({ __metadata__: ['x'] }),
      /__metadata__ must be an object of strings, got \["x"\]/,
    ],
    [
      'a metadata value that is no string',
      withHeader({ __metadata__: { epoch: 3 } }),
      /__metadata__ "epoch" must be a string, got 3/,
    ],
    [
      'a BOOL byte of 2',
      withHeader({ flag: entry('BOOL', [2], [0, 2]) }, [1, 2]),
      /tensor "flag" \(BOOL\) holds 2 at index 1; booleans are 0 or 1/,
    ],
    [
      'a U32 past int32',
      withHeader({ n: entry('U32', [1], [0, 4]) }, [0xff, 0xff, 0xff, 0xff]),
      /tensor "n" \(U32\) holds 4294967295 at index 0, outside the int32 range/,
    ],
  ];
  for (const [what, bytes, message] of cases) {
    it(`rejects ${what} with a DataFormatError naming the file and the field`, () => {
      const e = failure(bytes);
      expect(e).toBeInstanceOf(DataFormatError);
      expect(e.message).toMatch(/^ckpt\/model\.safetensors: /);
      expect(e.message).toMatch(message);
    });
  }

  it('checks every header entry before reading any tensor data', () => {
    // 'a' would fail only when its bytes are read (a BOOL of 5); 'b' is broken in the header.
    // The header error wins, so nothing was converted (allocated) before the header was known good.
    const e = failure(withHeader({ a: entry('BOOL', [1], [0, 1]), b: entry('U8', [1], [1, '2']) }, [5, 0]));
    expect(e.message).toMatch(/tensor "b": data_offsets\[1\] is "2"/);
  });

  it('loads a tensor named "__proto__" as an ordinary name, and names like "constructor" too', () => {
    const tensors = Object.create(null);
    tensors.__proto__ = { dtype: 'F32', shape: [2], data: new Float32Array([1.5, -2]) };
    tensors.constructor = { dtype: 'I32', shape: [1], data: new Int32Array([7]) };
    const bytes = encodeSafetensors(tensors);
    // The header really holds the name (the encoder did not drop it as a prototype assignment).
    expect(new TextDecoder().decode(bytes)).toContain('"__proto__":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}');
    const got = decodeSafetensors(bytes, 'x');
    expect(Object.keys(got.tensors).sort()).toEqual(['__proto__', 'constructor']);
    expect([...got.tensors.__proto__.data]).toEqual([1.5, -2]);
    expect(got.tensors.__proto__.shape).toEqual([2]);
    const ctorName: string = 'constructor';
    expect([...got.tensors[ctorName].data]).toEqual([7]);
    // Names that are Object.prototype members but not in the file are absent.
    expect('toString' in got.tensors).toBe(false);
    expect(Object.getPrototypeOf(got.tensors)).toBe(null);
  });

  it('reads a hand-written "__proto__" entry and "__proto__" metadata', () => {
    const bytes = file(
      '{"__metadata__":{"__proto__":"m"},"__proto__":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}',
      [3, 4],
    );
    const { tensors, metadata } = decodeSafetensors(bytes, 'x');
    expect(Object.keys(tensors)).toEqual(['__proto__']);
    expect([...tensors.__proto__.data]).toEqual([3, 4]);
    expect(tensors.__proto__.dtype).toBe('I32');
    expect(Object.entries(metadata)).toEqual([['__proto__', 'm']]);
  });

  it('accepts what the format allows: null metadata, zero-size tensors, escapes in names, padding', () => {
    const bytes = file(
      '{"__metadata__":null,"e\\u0301":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}   ',
      [9],
    );
    const { tensors, metadata } = decodeSafetensors(bytes, 'x');
    expect(Object.keys(metadata)).toEqual([]);
    expect(tensors['e\u0301'].shape).toEqual([0, 3]);
    expect(tensors['e\u0301'].data.length).toBe(0);
    expect(tensors.b.shape).toEqual([]);
    expect([...tensors.b.data]).toEqual([9]);
  });
});
