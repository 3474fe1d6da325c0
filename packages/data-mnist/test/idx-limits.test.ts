import { DataFormatError } from '@tsdl/tensor';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzip, inflateChunks } from '../src/gunzip';
import { MAX_IDX_BYTES, readIdx } from '../src/idx';
import { idxBytes as idx } from './idx-bytes';

/**
 * A gzip stream that inflates to `mib` MiB of zeros after `head`: one member
 * for the head, then one ~1 KB member per MiB (gzip allows any number of
 * members, and every reader concatenates them), so a 3 GiB bomb is 3 MB.
 */
function bomb(head: Uint8Array, mib: number): Uint8Array {
  const first = gzipSync(head);
  const zeros = gzipSync(new Uint8Array(1 << 20));
  const out = new Uint8Array(first.length + mib * zeros.length);
  out.set(first);
  for (let i = 0; i < mib; i++) out.set(zeros, first.length + i * zeros.length);
  return out;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('gzipped IDX files are inflated no further than their header declares', () => {
  it('stops a 3 GiB bomb behind a 2-label header at the first chunk past the declared 10 bytes', async () => {
    const gz = bomb(idx([2], [1, 2]), 3072);
    expect(gz.length).toBeLessThan(4e6);
    let inflated = 0;
    const e = await failure(readIdx(gz, 'bomb/train-labels-idx1-ubyte.gz'));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toBe(
      'bomb/train-labels-idx1-ubyte.gz: inflates to more than the 10 bytes its header declares (dimensions [2]); stopped there',
    );
    // The same check through the chunk stream: the reader saw one chunk (at most 64 KiB), not 3 GiB.
    await failure(
      inflateChunks(gz, 'bomb.gz', (c) => {
        inflated += c.length;
        throw new DataFormatError('stop');
      }),
    );
    expect(inflated).toBeGreaterThan(0);
    expect(inflated).toBeLessThanOrEqual(64 * 1024);
  });

  it('stops a bomb behind an image header too, and reads the same file when it is not padded', async () => {
    const head = idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    const e = await failure(readIdx(bomb(head, 64), 'x/images.gz'));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toMatch(
      /^x\/images\.gz: inflates to more than the 24 bytes its header declares \(dimensions \[2, 2, 2\]\)/,
    );
    const ok = await readIdx(gzipSync(head), 'x/images.gz');
    expect(ok.dims).toEqual([2, 2, 2]);
    expect([...ok.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('reads a header split across gzip members and chunks', async () => {
    const file = idx(
      [3, 70000],
      new Array(210000).fill(0).map((_, i) => (i * 7) % 256),
    );
    // Three members: 3 bytes, 6 bytes, the rest (the header is 12 bytes).
    const parts = [file.subarray(0, 3), file.subarray(3, 9), file.subarray(9)].map((p) => gzipSync(p));
    const gz = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      gz.set(p, at);
      at += p.length;
    }
    const a = await readIdx(gz, 'split.gz');
    expect(a.dims).toEqual([3, 70000]);
    expect(a.data[209999]).toBe((209999 * 7) % 256);
    expect(a.data.length).toBe(210000);
  });

  it('rejects dimensions that declare more than the reader holds, before inflating the payload', async () => {
    const head = new Uint8Array([0, 0, 8, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const e = await failure(readIdx(gzipSync(head), 'huge.gz'));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toBe(
      `huge.gz: dimensions [4294967295, 4294967295] declare ${12 + 4294967295 ** 2} bytes, more than the ${MAX_IDX_BYTES} this reader holds in memory`,
    );
  });

  it('reports a truncated gzip stream and a wrong magic number in the first inflated bytes', async () => {
    const gz = gzipSync(idx([4], [1, 2, 3, 4]));
    const cut = await failure(readIdx(gz.subarray(0, gz.length - 10), 'cut.gz'));
    expect(cut).toBeInstanceOf(DataFormatError);
    expect(cut.message).toMatch(/^cut\.gz: corrupt gzip data \(unexpected end of file\)/);
    const magic = await failure(readIdx(bomb(new Uint8Array([9, 9, 9, 9]), 16), 'magic.gz'));
    expect(magic.message).toMatch(/^magic\.gz: wrong magic number 09 09 09 09/);
  });

  it('gunzip stops at maxBytes', async () => {
    const gz = bomb(new Uint8Array(0), 8);
    expect((await gunzip(gz, 'z.gz')).length).toBe(8 << 20);
    const e = await failure(gunzip(gz, 'z.gz', 1000));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toBe('z.gz: inflates to more than 1000 bytes');
  });
});
