import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { publishedPackages } from '../release-copy.mjs';

/**
 * Builds the API reference as `pnpm docs:api` does (typedoc.config.mjs: warnings are errors, so a
 * broken doc comment or link in a public entry fails here), into a temporary directory.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const out = mkdtempSync(join(tmpdir(), 'tsdl-api-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

it('builds without warnings, one module per published entry, named as users import it', () => {
  let log = '';
  try {
    log = execFileSync(
      join(root, 'node_modules', '.bin', 'typedoc'),
      ['--out', join(out, 'html'), '--json', join(out, 'api.json')],
      {
        cwd: root,
        encoding: 'utf8',
        stdio: 'pipe',
      },
    );
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`typedoc failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
  expect(log).not.toMatch(/\[warning\]|\[error\]/);
  const expected = publishedPackages(root)
    .flatMap((p) => p.subpaths.map((s: string) => (s === '.' ? p.name : `${p.name}/${s.slice(2)}`)))
    .filter((s) => !s.endsWith('/internal'));
  const project = JSON.parse(readFileSync(join(out, 'api.json'), 'utf8'));
  expect(project.children.map((c: { name: string }) => c.name).sort()).toEqual(expected.sort());
  const tensor = project.children.find((c: { name: string }) => c.name === '@tsdl/tensor');
  expect(tensor.children.map((c: { name: string }) => c.name)).toEqual(
    expect.arrayContaining(['Tensor', 'tensor', 'setBackend', 'tidy']),
  );
  expect(existsSync(join(out, 'html', 'index.html'))).toBe(true);
}, 300_000);
