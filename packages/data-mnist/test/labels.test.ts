import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataFormatError } from '@tsdl/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import { MNIST_CLASSES, loadFashionMnist, readMnistArrays } from '../src/index';
import { idxBytes } from './idx-bytes';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true });
});

/** A directory with the four files: `n` 2x2 images per split and the given training labels. */
function dataset(
  trainLabels: number[],
  options: { testCount?: number; gz?: boolean; trainImages?: number } = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'mnist-labels-'));
  dirs.push(dir);
  const nTest = options.testCount ?? 2;
  const nTrain = options.trainImages ?? trainLabels.length;
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': idxBytes([nTrain, 2, 2], new Array(nTrain * 4).fill(1)),
    'train-labels-idx1-ubyte': idxBytes([trainLabels.length], trainLabels),
    't10k-images-idx3-ubyte': idxBytes([nTest, 2, 2], new Array(nTest * 4).fill(2)),
    't10k-labels-idx1-ubyte': idxBytes([nTest], new Array(nTest).fill(3)),
  };
  for (const [name, bytes] of Object.entries(files)) {
    if (options.gz) writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes));
    else writeFileSync(join(dir, name), bytes);
  }
  return dir;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('labels are class ids of the dataset', () => {
  it('MNIST and Fashion-MNIST have 10 classes', () => {
    expect(MNIST_CLASSES).toBe(10);
  });

  it('loads labels 0..9', async () => {
    const dir = dataset([0, 9, 5]);
    const { train } = await readMnistArrays({ source: { dir } });
    expect([...train.labels]).toEqual([0, 9, 5]);
  });

  it('rejects a label of 200, naming the file, the index and the value', async () => {
    const dir = dataset([3, 1, 200, 4]);
    const e = await failure(readMnistArrays({ source: { dir } }));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toBe(`${join(dir, 'train-labels-idx1-ubyte')}: the label at index 2 is 200, not a class id 0..9`);
  });

  it('rejects a label of 10 in a gzipped Fashion-MNIST file, even past the samples a limit keeps', async () => {
    const dir = dataset([1, 2, 3, 10], { gz: true });
    const e = await failure(loadFashionMnist({ dir, limit: { train: 2 } }));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toBe(
      `${join(dir, 'train-labels-idx1-ubyte.gz')}: the label at index 3 is 10, not a class id 0..9`,
    );
  });

  it('rejects image and label counts that disagree, naming both files', async () => {
    const dir = dataset([1, 2, 3], { trainImages: 4 });
    const e = await failure(readMnistArrays({ source: { dir } }));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toBe(
      `train: 4 images but 3 labels; the counts must agree (${join(dir, 'train-images-idx3-ubyte')}, ${join(dir, 'train-labels-idx1-ubyte')})`,
    );
  });

  it('names the file whose rank is wrong', async () => {
    const dir = dataset([1, 2]);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxBytes([2, 1], [1, 2]));
    const e = await failure(readMnistArrays({ source: { dir } }));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toBe(`${join(dir, 't10k-labels-idx1-ubyte')}: test labels: expected 1 dimension [n], got [2, 1]`);
  });
});
