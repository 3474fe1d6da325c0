import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type Logger, build, createLogger } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The Keras stack as a user's browser app bundles it: the packages' built
 * `dist` files through their `exports` (no `@tsdl/source`, none of the
 * playground's stubs), with Vite's browser conditions. Node-only code (file
 * IO, the terminal progress bar) sits behind each package's '#node-only'
 * import, which the 'browser' condition maps to a Node-free twin: the bundle
 * must build without a warning and name no Node module.
 */
const APP = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = join(APP, '..', '..');
const WORK = join(APP, '.bundle-check');
const PACKAGES = ['tensor', 'autograd', 'backend-cpu', 'nn', 'optim', 'data-text', 'keras'];

const ENTRY = `
import { setBackend, tensor } from '@tsdl/tensor';
import '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { Dense, Dropout, Sequential, loadTfjsModel, modelFromArtifacts, modelToArtifacts } from '@tsdl/keras';

export async function train() {
  setBackend(cpu());
  const model = new Sequential({ layers: [new Dense({ units: 64, activation: 'relu', inputShape: [784] }), new Dropout({ rate: 0.2 }), new Dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(tensor(new Float32Array(784 * 8), [8, 784]), tensor(new Int32Array(8), [8], 'int32'), { epochs: 1, verbose: 0 });
  return { saved: await modelToArtifacts(model), modelFromArtifacts, loadTfjsModel };
}
`;

const warnings: string[] = [];
let output = '';

beforeAll(async () => {
  // The root test command builds first (turbo run build); a lone run builds here.
  if (PACKAGES.some((p) => !existsSync(join(ROOT, 'packages', p, 'dist', 'index.js')))) {
    execFileSync(join(ROOT, 'node_modules', '.bin', 'turbo'), ['run', 'build', '--output-logs=errors-only'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  writeFileSync(join(WORK, 'entry.js'), ENTRY);
  const base = createLogger('warn', { allowClearScreen: false });
  const logger: Logger = {
    ...base,
    warn: (msg, options) => {
      warnings.push(msg);
      base.warn(msg, options);
    },
    warnOnce: (msg) => void warnings.push(msg),
  };
  await build({
    root: WORK,
    configFile: false,
    logLevel: 'warn',
    customLogger: logger,
    // What Vite uses for a browser build, without '@tsdl/source': the packages' dist files.
    resolve: { conditions: ['browser', 'module', 'import', 'default'] },
    build: {
      outDir: join(WORK, 'dist'),
      target: 'es2022',
      minify: true,
      lib: { entry: join(WORK, 'entry.js'), formats: ['es'], fileName: 'bundle' },
      rollupOptions: { onwarn: (w) => void warnings.push(w.message) },
    },
  });
  output = readdirSync(join(WORK, 'dist'))
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(join(WORK, 'dist', f), 'utf8'))
    .join('\n');
}, 600_000);

afterAll(() => {
  rmSync(WORK, { recursive: true, force: true });
});

describe('a browser bundle of the Keras stack', () => {
  it('builds without warnings', () => {
    expect(warnings).toEqual([]);
  });

  it('names no Node module and no terminal-only package', () => {
    expect(output.length).toBeGreaterThan(10_000);
    // Imports of Node modules (the CPU backend's run-time probe of process.getBuiltinModule('node:os') is not one).
    expect(output.match(/(?:\bimport\s*\(|\bfrom)\s*["'`]node:[a-z_/]+["'`]/g) ?? []).toEqual([]);
    expect(output).not.toMatch(/cli-progress/);
    // For docs/benchmarks.md (sizes are reported, never asserted).
    console.log(
      `core + autograd + cpu + nn + optim + keras: ${(output.length / 1024).toFixed(0)} KiB minified, ${(gzipSync(output).length / 1024).toFixed(0)} KiB gzip`,
    );
  });
});
