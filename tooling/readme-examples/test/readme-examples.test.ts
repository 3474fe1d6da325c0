/**
 * Every README's first ```ts block that imports an @tsdl package is run
 * here, as a user would paste it, and so is every such block of the guides
 * in docs/guides/ (each in a fresh working directory; a first line
 * `// files: a/b.pt, c/d.json` copies those repository files into it, as the
 * reader would have them beside the script). A line `console.log(…); // => expected`
 * asserts that what it printed contains the text after `=>` up to a colon
 * (whitespace ignored), so a README whose output drifts from the code
 * fails. Other comments are prose.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  existsSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
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

// Each run writes the examples afresh, so the typecheck below never sees a removed one.
rmSync(tmp, { recursive: true, force: true });

/** Every ```ts block of a guide that imports an @tsdl package. */
function allExamples(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((code) => /from '@tsdl\//.test(code));
}

function guides(): string[] {
  const dir = join(root, 'docs', 'guides');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.md'))
        .map((f) => join(dir, f))
    : [];
}

/** Runs one example as a module; returns what its `// =>` lines printed differently. */
async function runExample(code: string, name: string): Promise<string[]> {
  const mismatches: string[] = [];
  (globalThis as any).__readmePrint = (expected: string | null, ...args: unknown[]) => {
    const printed = args
      .map((a) => (typeof a === 'string' ? a : Array.isArray(a) ? JSON.stringify(a) : String(a)))
      .join(' ');
    if (expected !== null && !squash(printed).includes(squash(expected))) {
      mismatches.push(`printed ${JSON.stringify(printed)}, the README says ${JSON.stringify(expected)}`);
    }
  };
  const path = join(tmp, `${name.replace(/[^a-z0-9]+/gi, '_')}.ts`);
  writeFileSync(path, instrument(code));
  vi.resetModules(); // a fresh @tsdl/tensor per example: its memory() counts start at zero
  await import(/* @vite-ignore */ path);
  return mismatches;
}

describe('guide examples', () => {
  mkdirSync(tmp, { recursive: true });
  for (const file of guides()) {
    const name = relative(root, file);
    allExamples(readFileSync(file, 'utf8')).forEach((code, i) => {
      it(`${name} example ${i + 1} runs and prints what it says`, async () => {
        const cwd = mkdtempSync(join(tmpdir(), 'tsdl-guide-'));
        const files =
          /^\/\/ files: (.+)$/m
            .exec(code)?.[1]
            .split(',')
            .map((f) => f.trim()) ?? [];
        for (const f of files) copyFileSync(join(root, f), join(cwd, basename(f)));
        const before = process.cwd();
        process.chdir(cwd);
        try {
          expect(await runExample(code, `${name}_${i + 1}`), `${name} example ${i + 1}`).toEqual([]);
        } finally {
          process.chdir(before);
        }
      });
    });
  }
});

describe('README examples', () => {
  mkdirSync(tmp, { recursive: true });
  for (const file of readmes()) {
    const example = firstExample(readFileSync(file, 'utf8'));
    if (example === null) continue;
    const name = relative(root, file);
    it(`${name} runs and prints what it says`, async () => {
      expect(await runExample(example, name), `${name}`).toEqual([]);
    });
  }
});

describe('README and guide examples typecheck', () => {
  // After the runs above wrote them: the examples as users paste them, checked by tsc with the
  // repository's settings (tsconfig.examples.json), so a README cannot show code that does not compile.
  it('tsc finds no error in any example', () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(here, '..', 'tsconfig.examples.json')], {
      encoding: 'utf8',
    });
    expect(readdirSync(tmp).filter((f) => f.endsWith('.ts')).length).toBeGreaterThan(10);
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);
});
