import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Packs @tsdl/tensor, @tsdl/autograd and @tsdl/backend-cpu as npm would
 * publish them, installs the tarballs into a temporary project outside the
 * workspace, and runs the same small program through `import` and `require`.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const packages = ['tensor', 'autograd', 'backend-cpu'];

const program = (load: string) => `
${load}
setBackend(cpu());
const x = tensor([[1, 2], [3, 4]]);
x.requiresGrad = true;
const { value, grads } = valueAndGrad((t) => t.square().sum())(x);
console.log(JSON.stringify({ value: value.item(), grad: grads.arraySync(), backend: getBackend().name }));
`;

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsdl-pack-'));
  // The root test command builds first; build here too when run on its own (turbo caches it).
  const missing = packages.some((p) => !existsSync(join(root, 'packages', p, 'dist', 'index.cjs')));
  if (missing) execFileSync(join(root, 'node_modules', '.bin', 'turbo'), ['run', 'build', '--output-logs=errors-only'], { cwd: root, stdio: 'inherit' });
  for (const p of packages) {
    execFileSync('npx', ['-y', 'pnpm@9.15.9', 'pack', '--pack-destination', dir], { cwd: join(root, 'packages', p), stdio: 'pipe' });
  }
  const tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs.map((t) => `./${t}`)], {
    cwd: dir,
    stdio: 'pipe',
  });
}, 240_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const expected = { value: 30, grad: [[2, 4], [6, 8]], backend: 'cpu' };

describe('published packages', () => {
  it('contain ESM, CJS and type declarations', () => {
    for (const p of packages) {
      const dist = join(dir, 'node_modules', '@tsdl', p, 'dist');
      for (const f of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) expect(existsSync(join(dist, f)), `${p}/dist/${f}`).toBe(true);
      expect(existsSync(join(dir, 'node_modules', '@tsdl', p, 'src')), `${p} ships no sources`).toBe(false);
    }
  });

  it('run from an ES module (import)', () => {
    const file = join(dir, 'esm.mjs');
    writeFileSync(
      file,
      program(`import { setBackend, tensor, getBackend } from '@tsdl/tensor';
import { cpu } from '@tsdl/backend-cpu';
import { valueAndGrad } from '@tsdl/autograd';`),
    );
    const out = execFileSync('node', [file], { cwd: dir, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(expected);
  });

  it('run from CommonJS (require)', () => {
    const file = join(dir, 'cjs.cjs');
    writeFileSync(
      file,
      program(`const { setBackend, tensor, getBackend } = require('@tsdl/tensor');
const { cpu } = require('@tsdl/backend-cpu');
const { valueAndGrad } = require('@tsdl/autograd');`),
    );
    const out = execFileSync('node', [file], { cwd: dir, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(expected);
  });
});
