import { DataFormatError } from '@tsdl/tensor';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseIdx, readIdx } from '../src/idx';

/** An IDX file built by hand: 00 00 08 <rank>, big-endian dims, payload. */
export function idx(dims: number[], payload: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  out[2] = 0x08;
  out[3] = dims.length;
  const v = new DataView(out.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

function failure(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('IDX reader', () => {
  it('reads big-endian dimensions and the payload', () => {
    const a = parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 255]), 'x.idx');
    expect(a.dims).toEqual([2, 3]);
    expect([...a.data]).toEqual([1, 2, 3, 4, 5, 255]);
    const big = parseIdx(idx([300], new Array(300).fill(7)), 'big');
    expect(big.dims).toEqual([300]);
  });

  it('reads gzipped files', async () => {
    const a = await readIdx(new Uint8Array(gzipSync(idx([2], [9, 8]))), 'x.gz');
    expect([...a.data]).toEqual([9, 8]);
  });

  const cases: [string, () => unknown, RegExp][] = [
    [
      'a wrong magic number',
      () => parseIdx(new Uint8Array([0x1f, 0x00, 0x08, 0x01, 0, 0, 0, 0]), 'bad/train.idx'),
      /wrong magic number 1f 00 08 01/,
    ],
    [
      'an unsupported type',
      () => parseIdx(new Uint8Array([0, 0, 0x0d, 0x01, 0, 0, 0, 0]), 'bad/train.idx'),
      /type 0x0d \(float32\)/,
    ],
    [
      'a truncated payload',
      () => parseIdx(idx([2, 2], [1, 2, 3]), 'bad/train.idx'),
      /truncated file: dimensions \[2, 2\] need 4 payload bytes, got 3/,
    ],
    ['a truncated header', () => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0]), 'bad/train.idx'), /truncated header/],
    ['trailing bytes', () => parseIdx(idx([1], [1, 2]), 'bad/train.idx'), /1 unexpected bytes/],
  ];
  for (const [what, fn, message] of cases) {
    it(`rejects ${what} with a DataFormatError naming the file`, () => {
      const e = failure(fn);
      expect(e).toBeInstanceOf(DataFormatError);
      expect(e.message).toMatch(/^bad\/train\.idx: /);
      expect(e.message).toMatch(message);
    });
  }

  it('rejects corrupt gzip data', async () => {
    const gz = new Uint8Array(gzipSync(idx([4], [1, 2, 3, 4])));
    gz[gz.length - 6] ^= 0xff; // break the CRC
    await expect(readIdx(gz, 'bad/x.gz')).rejects.toThrow(DataFormatError);
    await expect(readIdx(gz, 'bad/x.gz')).rejects.toThrow(/^bad\/x\.gz: corrupt gzip data/);
  });
});
