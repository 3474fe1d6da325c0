import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeReleaseCopy, pnpmBin, publishedPackages, versionCopy } from '../release-copy.mjs';

/**
 * Rehearses a release: in a temporary copy, `changeset version` versions every published
 * package as `pnpm release` would, each is packed by pnpm (which applies publishConfig and
 * replaces workspace: ranges, exactly as `pnpm publish` does), and the tarballs are installed
 * together into a project outside the workspace (pnpm, from its store: the data packages'
 * dependencies are too large to download on every run), where every entry and subpath is
 * loaded through `import` and `require`.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const packages = publishedPackages(root);
const exec = promisify(execFile);
const TENSOR_COPIES = "Symbol.for('@tsdl/tensor loaded copies')";

let work = '';
let consumer = '';
let installLog = '';
/** What each tarball holds: its published package.json and its file list (without "package/"). */
const packed = new Map<string, { manifest: Record<string, any>; files: Set<string> }>();

beforeAll(async () => {
  // The root test command builds first; build here too when run on its own (turbo caches it).
  if (packages.some((p) => !existsSync(join(root, p.dir, 'dist', 'index.cjs')))) {
    execFileSync(
      join(root, 'node_modules', '.bin', 'turbo'),
      ['run', 'build', '--filter=@tsdl/packaging-test^...', '--output-logs=errors-only'],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
  }
  work = mkdtempSync(join(tmpdir(), 'tsdl-pack-'));
  const copy = join(work, 'release');
  const tarballs = join(work, 'tarballs');
  consumer = join(work, 'consumer');
  for (const d of [copy, tarballs, consumer]) mkdirSync(d);
  makeReleaseCopy(root, copy);
  versionCopy(root, copy);
  const pnpm = pnpmBin();
  await Promise.all(
    packages.map((p) => exec(pnpm, ['pack', '--pack-destination', tarballs], { cwd: join(copy, p.dir) })),
  );

  const deps: Record<string, string> = {};
  // A tarball's dependency on another (keras on optim) must resolve to that tarball, not the
  // registry; peers are left alone (an override rewrites peer ranges too), the app's copy meets them.
  const overrides: Record<string, string> = {};
  for (const t of readdirSync(tarballs)) {
    const file = join(tarballs, t);
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' }));
    const files = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    packed.set(manifest.name, { manifest, files: new Set(files) });
    deps[manifest.name] = `file:${file}`;
  }
  for (const { manifest } of packed.values()) {
    for (const d of Object.keys(manifest.dependencies ?? {})) if (deps[d]) overrides[d] = deps[d];
  }
  const consumerManifest = {
    name: 'consumer',
    version: '1.0.0',
    private: true,
    dependencies: deps,
    pnpm: { overrides },
  };
  writeFileSync(join(consumer, 'package.json'), JSON.stringify(consumerManifest));
  const install = await exec(pnpm, ['install', '--prefer-offline', '--reporter=append-only'], {
    cwd: consumer,
    maxBuffer: 1 << 26,
  });
  installLog = install.stdout + install.stderr;
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Every relative path a manifest's exports, imports and main fields name. */
function namedFiles(manifest: Record<string, any>): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk([manifest.exports, manifest.imports, manifest.main, manifest.module, manifest.types]);
  return out.filter((f) => f.startsWith('./')).map((f) => f.slice(2));
}

/** Runs a program in the consumer project and parses the JSON line it prints. */
function runProgram(name: string, source: string): any {
  const file = join(consumer, name);
  writeFileSync(file, source);
  return JSON.parse(execFileSync('node', [file], { cwd: consumer, encoding: 'utf8' }));
}

/** Each published entry, as an import specifier ('@tsdl/nn', '@tsdl/nn/node', …). */
const specifiers = packages.flatMap((p) => p.subpaths.map((s) => (s === '.' ? p.name : `${p.name}/${s.slice(2)}`)));

describe('a release of every package', () => {
  it('versions all of them together, as the changesets say', () => {
    expect([...packed.keys()].sort()).toEqual(packages.map((p) => p.name).sort());
    const pending = readdirSync(join(root, '.changeset')).some((f) => f.endsWith('.md') && f !== 'README.md');
    const versions = new Set([...packed.values()].map((t) => t.manifest.version));
    expect(versions.size, 'one version for the fixed group').toBe(1);
    const [next] = versions;
    const old = packages[0].version;
    if (pending) expect(next, 'pending changesets bump the version').not.toBe(old);
    else expect(next).toBe(old);
    // Before 1.0 no changeset may say major (manifests.test.ts), and a peer leaving its range
    // would make changesets bump its dependents a major (0.x -> 1.0.0): the major stays 0.
    if (old.startsWith('0.')) expect(next.split('.')[0], 'the major version is unchanged').toBe('0');
  });

  it('publish manifests without @tsdl/source or workspace: that name only files the tarball holds', () => {
    for (const [name, { manifest, files }] of packed) {
      const text = JSON.stringify(manifest);
      expect(text, name).not.toContain('@tsdl/source');
      expect(text, name).not.toContain('workspace:');
      expect(manifest.publishConfig?.exports, `${name}: publishConfig is applied`).toBeUndefined();
      const named = namedFiles(manifest);
      expect(named.length, name).toBeGreaterThan(4);
      for (const f of named) expect(files.has(f), `${name} names ${f}`).toBe(true);
      expect(
        [...files].filter((f) => f.startsWith('src/')),
        `${name} ships no sources`,
      ).toEqual([]);
      for (const f of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'])
        expect(files.has(`dist/${f}`), `${name} dist/${f}`).toBe(true);
    }
  });

  it('take @tsdl/tensor as a peer, in a range holding the released version', () => {
    const version = packed.get('@tsdl/tensor')!.manifest.version as string;
    for (const [name, { manifest }] of packed) {
      if (name === '@tsdl/tensor') continue;
      expect(manifest.dependencies?.['@tsdl/tensor'], name).toBeUndefined();
      expect(manifest.peerDependencies?.['@tsdl/tensor'], name).toBe(`${version.split('.')[0]}.x`);
    }
    expect(Object.keys(packed.get('@tsdl/keras')!.manifest.peerDependencies).sort()).toEqual([
      '@tsdl/autograd',
      '@tsdl/nn',
      '@tsdl/tensor',
    ]);
    // pnpm lists unmet or mismatched peers after an install; none may be listed.
    expect(installLog).not.toMatch(/peer dependenc/i);
  });

  it('load every entry through import, with one copy of @tsdl/tensor', () => {
    const out = runProgram(
      'entries.mjs',
      `const loaded = {};
for (const s of ${JSON.stringify(specifiers)}) loaded[s] = Object.keys(await import(s)).length;
const copies = globalThis[${TENSOR_COPIES}].filter((c) => c.deref()).length;
console.log(JSON.stringify({ loaded, copies }));`,
    );
    for (const s of specifiers) expect(out.loaded[s], s).toBeGreaterThan(0);
    expect(out.copies).toBe(1);
  });

  it('load every entry through require, with one copy of @tsdl/tensor', () => {
    const out = runProgram(
      'entries.cjs',
      `const loaded = {};
for (const s of ${JSON.stringify(specifiers)}) loaded[s] = Object.keys(require(s)).length;
const copies = globalThis[${TENSOR_COPIES}].filter((c) => c.deref()).length;
console.log(JSON.stringify({ loaded, copies }));`,
    );
    for (const s of specifiers) expect(out.loaded[s], s).toBeGreaterThan(0);
    expect(out.copies).toBe(1);
  });

  // autograd through tensor and the CPU backend, then one Keras SGD step, whose gradient reaches
  // the model only when keras, nn, autograd and the app share one @tsdl/tensor and one autograd.
  // Dense(1) with ones and a zero bias at x = [1, 2], y = 0: prediction 3, MSE gradient 6, so
  // lr 0.1 leaves w = [0.4, -0.2], b = -0.6 and a new prediction of -0.6.
  const program = (load: string) => `${load}
setBackend(cpu());
const x = tensor([[1, 2], [3, 4]]);
const { value, grads } = valueAndGrad((t) => t.square().sum())(x);
const model = new Sequential([new Dense({ units: 1, kernelInitializer: 'ones', inputShape: [2] })]);
model.compile({ optimizer: optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
model.fit(tensor([[1, 2]]), tensor([[0]]), { epochs: 1, batchSize: 1, verbose: 0 }).then(() => {
  const after = model.predict(tensor([[1, 2]])).arraySync()[0][0];
  console.log(JSON.stringify({ value: value.item(), grad: grads.arraySync(), backend: getBackend().name, after: Math.round(after * 1e4) / 1e4 }));
});`;
  const expected = {
    value: 30,
    grad: [
      [2, 4],
      [6, 8],
    ],
    backend: 'cpu',
    after: -0.6,
  };

  it('train from an ES module (import)', () => {
    const out = runProgram(
      'train.mjs',
      program(`import { setBackend, tensor, getBackend } from '@tsdl/tensor';
import { cpu } from '@tsdl/backend-cpu';
import { valueAndGrad } from '@tsdl/autograd';
import { Dense, Sequential, optimizers } from '@tsdl/keras';`),
    );
    expect(out).toEqual(expected);
  });

  it('train from CommonJS (require)', () => {
    const out = runProgram(
      'train.cjs',
      program(`const { setBackend, tensor, getBackend } = require('@tsdl/tensor');
const { cpu } = require('@tsdl/backend-cpu');
const { valueAndGrad } = require('@tsdl/autograd');
const { Dense, Sequential, optimizers } = require('@tsdl/keras');`),
    );
    expect(out).toEqual(expected);
  });
});
