import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { mnistTrain } from '../src/data';

/** An IDX file of unsigned bytes: 00 00 08 <rank>, big-endian dimensions, then the payload. */
function idx(dims: number[], payload: number[]): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  head.set([0, 0, 0x08, dims.length]);
  const view = new DataView(head.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  return new Uint8Array([...head, ...payload]);
}

describe('mnistTrain from a --data directory', () => {
  it('reads gzipped training files and scales pixels to [0, 1]', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-data-'));
    // Two 2×3 images and their labels; only the images are gzipped, as gpu-bundle.sh ships them.
    writeFileSync(
      path.join(dir, 'train-images-idx3-ubyte.gz'),
      gzipSync(idx([2, 2, 3], [0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 1])),
    );
    writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idx([2], [7, 3]));
    const d = await mnistTrain(dir);
    expect([d.samples, d.rows, d.cols]).toEqual([2, 2, 3]);
    expect(Array.from(d.labels)).toEqual([7, 3]);
    expect(Array.from(d.images.subarray(0, 6))).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1].map((x) => Math.fround(x)));
    expect(d.images[11]).toBeCloseTo(1 / 255, 7);
  });

  it('names the directory and the missing file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-empty-'));
    await expect(mnistTrain(dir)).rejects.toThrow(
      `--data ${dir}: neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz is there`,
    );
  });

  it('rejects images and labels whose counts differ', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-bad-'));
    writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), idx([2, 1, 1], [1, 2]));
    writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idx([3], [1, 2, 3]));
    await expect(mnistTrain(dir)).rejects.toThrow(
      /expected images \[n, rows, cols\] and labels \[n\], got \[2, 1, 1\] and \[3\]/,
    );
  });
});
