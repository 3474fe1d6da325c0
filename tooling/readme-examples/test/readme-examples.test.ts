/**
 * Every README's first ```ts block that imports an @tsdl package is run
 * here, as a user would paste it. A line `console.log(…); // => expected`
 * asserts that what it printed contains the text after `=>` up to a colon
 * (whitespace ignored), so a README whose output drifts from the code
 * fails. Other comments are prose.
 */
import { mkdirSync, readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const tmp = join(here, '..', '.tmp');

function readmes(): string[] {
  const files = [join(root, 'README.md')];
  for (const group of ['packages', 'apps']) {
    for (const dir of readdirSync(join(root, group))) {
      const f = join(root, group, dir, 'README.md');
      if (existsSync(f)) files.push(f);
    }
  }
  return files;
}

function firstExample(markdown: string): string | null {
  for (const m of markdown.matchAll(/```ts\n([\s\S]*?)```/g)) {
    if (/from '@tsdl\//.test(m[1])) return m[1];
  }
  return null;
}

/** Rewrites `console.log(...); // text` so each call records its output with the expected text. */
function instrument(code: string): string {
  const lines = code.split('\n').map((line) => {
    const m = /^(\s*)console\.log\((.*)\);?\s*\/\/\s*=>\s*(.+)$/.exec(line);
    if (m) return `${m[1]}__print(${JSON.stringify(m[3].split(/: /)[0])}, ${m[2]});`;
    return line.replace(/console\.log\(/g, '__print(null, ');
  });
  return `const __print = (globalThis as any).__readmePrint;\n${lines.join('\n')}\nexport {};\n`;
}

const squash = (s: string) => s.replace(/\s+/g, '');

describe('README examples', () => {
  mkdirSync(tmp, { recursive: true });
  for (const file of readmes()) {
    const example = firstExample(readFileSync(file, 'utf8'));
    if (example === null) continue;
    const name = relative(root, file);
    it(`${name} runs and prints what it says`, async () => {
      const mismatches: string[] = [];
      (globalThis as any).__readmePrint = (expected: string | null, ...args: unknown[]) => {
        const printed = args.map((a) => (typeof a === 'string' ? a : Array.isArray(a) ? JSON.stringify(a) : String(a))).join(' ');
        if (expected !== null && !squash(printed).includes(squash(expected))) {
          mismatches.push(`printed ${JSON.stringify(printed)}, the README says ${JSON.stringify(expected)}`);
        }
      };
      const path = join(tmp, `${name.replace(/[^a-z0-9]+/gi, '_')}.ts`);
      writeFileSync(path, instrument(example));
      vi.resetModules(); // a fresh @tsdl/tensor per README: its memory() counts start at zero
      await import(/* @vite-ignore */ path);
      expect(mismatches, `${name}`).toEqual([]);
    });
  }
});
