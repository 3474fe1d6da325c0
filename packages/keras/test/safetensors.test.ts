import { DataFormatError } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors';

/** Builds a file by hand, byte by byte, from the published layout (independent of the encoder). */
function handMade(header: object, buffer: number[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + buffer.length);
  out[0] = json.length & 0xff;
  out[1] = (json.length >> 8) & 0xff;
  out.set(json, 8);
  out.set(buffer, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('writes the published layout byte for byte', () => {
    const bytes = encodeSafetensors(
      { w: { dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) } },
      { format: 'pt' },
    );
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    expect(header).toEqual({ __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    // 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0 (little-endian IEEE 754)
    expect([...bytes.subarray(8 + headerLen)]).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
  });

  it('lays tensors out as the reference writer: by descending dtype alignment, then by name', () => {
    const bytes = encodeSafetensors({
      flag: { dtype: 'BOOL', shape: [1], data: new Uint8Array([1]) },
      b: { dtype: 'F32', shape: [1], data: new Float32Array([2]) },
      count: { dtype: 'I32', shape: [1], data: new Int32Array([3]) },
      a: { dtype: 'F32', shape: [2], data: new Float32Array([0, 1]) },
    });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    expect(Object.keys(header)).toEqual(['a', 'b', 'count', 'flag']);
    expect(Object.values(header).map((h) => (h as { data_offsets: number[] }).data_offsets)).toEqual([
      [0, 8],
      [8, 12],
      [12, 16],
      [16, 17],
    ]);
    // The header is padded with spaces (not NULs) to a multiple of 8 bytes.
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLen));
    expect(headerLen % 8).toBe(0);
    expect(text.slice(text.lastIndexOf('}') + 1)).toMatch(/^ {1,7}$/);
  });

  it('round-trips float32, int32 and bool tensors with metadata', () => {
    const input = {
      a: { dtype: 'F32' as const, shape: [2, 3], data: new Float32Array([0.5, 1, 2, 3, 4, -5.25]) },
      b: { dtype: 'I32' as const, shape: [3], data: new Int32Array([7, -8, 2147483647]) },
      c: { dtype: 'BOOL' as const, shape: [2], data: new Uint8Array([1, 0]) },
      empty: { dtype: 'F32' as const, shape: [0, 4], data: new Float32Array(0) },
    };
    const { tensors, metadata } = decodeSafetensors(encodeSafetensors(input, { epoch: '3' }));
    expect(metadata).toEqual({ epoch: '3' });
    for (const [k, v] of Object.entries(input)) {
      expect(tensors[k].dtype).toBe(v.dtype);
      expect(tensors[k].shape).toEqual(v.shape);
      expect([...tensors[k].data]).toEqual([...v.data]);
    }
  });

  it('reads a file written by another tool, with F16, BF16, F64 and I64 tensors', () => {
    const buf = [
      0x00,
      0x3c,
      0x00,
      0xc0, // F16 [1, -2]
      0x80,
      0x3f, // BF16 [1]
      0,
      0,
      0,
      0,
      0,
      0,
      0xf8,
      0x3f, // F64 [1.5]
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff, // I64 [-1]
    ];
    const file = handMade(
      {
        h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
        bf: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] },
        d: { dtype: 'F64', shape: [1], data_offsets: [6, 14] },
        i: { dtype: 'I64', shape: [1], data_offsets: [14, 22] },
      },
      buf,
    );
    const { tensors } = decodeSafetensors(file, 'other.safetensors');
    expect([...tensors.h.data]).toEqual([1, -2]);
    expect([...tensors.bf.data]).toEqual([1]);
    expect([...tensors.d.data]).toEqual([1.5]);
    expect(tensors.i.dtype).toBe('I32');
    expect([...tensors.i.data]).toEqual([-1]);
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(4), /too short/],
    [
      'header past the end',
      (() => {
        const b = new Uint8Array(16);
        b[0] = 200;
        return b;
      })(),
      /runs past the end/,
    ],
    ['header not JSON', handMade({}, []).map((v, i) => (i === 8 ? 0x7a : v)), /not valid UTF-8 JSON/],
    ['unknown dtype', handMade({ x: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, [0]), /unknown dtype "Q4"/],
    [
      'size mismatch',
      handMade({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, [0, 0, 0, 0]),
      /needs 8 bytes/,
    ],
    ['hole', handMade({ x: { dtype: 'U8', shape: [1], data_offsets: [1, 2] } }, [0, 0]), /hole or overlap/],
    [
      'trailing bytes',
      handMade({ x: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, [0, 0]),
      /belong to no tensor/,
    ],
    [
      'offsets outside',
      handMade({ x: { dtype: 'U8', shape: [1], data_offsets: [0, 9] } }, [0]),
      /outside the 1-byte buffer/,
    ],
  ];
  for (const [what, bytes, message] of bad) {
    it(`rejects a corrupt file: ${what}`, () => {
      let err: unknown;
      try {
        decodeSafetensors(bytes, 'model/weights.safetensors');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataFormatError);
      expect((err as Error).message).toMatch(/^model\/weights\.safetensors: /);
      expect((err as Error).message).toMatch(message);
    });
  }
});
