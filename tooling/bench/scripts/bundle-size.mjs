// Bundle sizes for docs/benchmarks.md: the tsdl Keras stack (core + autograd + cpu + nn + optim +
// keras) beside TensorFlow.js and jax-js, each bundled for the browser by Vite from its published
// build (tsdl: the workspace packages' dist, so run `pnpm build` first), minified, with a small
// program that trains a 784-64-10 MLP so tree-shaking keeps what such an app needs.
// Usage: node tooling/bench/scripts/bundle-size.mjs
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const bench = join(dirname(fileURLToPath(import.meta.url)), '..');
// Vite is the playground's devDependency; the bench package does not carry its own.
const { build } = await import(
  createRequire(join(bench, '..', '..', 'apps', 'playground', 'package.json')).resolve('vite')
);

const ENTRIES = {
  'tsdl (tensor, autograd, backend-cpu, nn, optim, keras)': `
import { setBackend, tensor } from '@tsdl/tensor';
import '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { Dense, Sequential } from '@tsdl/keras';
export async function train() {
  setBackend(cpu());
  const m = new Sequential({ layers: [new Dense({ units: 64, activation: 'relu', inputShape: [784] }), new Dense({ units: 10, activation: 'softmax' })] });
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await m.fit(tensor(new Float32Array(784 * 8), [8, 784]), tensor(new Int32Array(8), [8], 'int32'), { epochs: 1, verbose: 0 });
}`,
  'TensorFlow.js 4.22 (@tensorflow/tfjs: core, layers, cpu + webgl backends, converter)': `
import * as tf from '@tensorflow/tfjs';
export async function train() {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 64, activation: 'relu', inputShape: [784] }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await m.fit(tf.zeros([8, 784]), tf.zeros([8]), { epochs: 1, verbose: 0 });
}`,
  'jax-js 0.1.25 (@jax-js/jax: numpy, grad, jit, wasm + webgpu backends)': `
import { grad, numpy as np } from '@jax-js/jax';
export function train() {
  const loss = (w) => np.square(np.matmul(np.ones([8, 784]), w)).sum();
  return grad(loss)(np.zeros([784, 10]));
}`,
};

const work = join(bench, '.bundle-size');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const rows = [];
for (const [name, code] of Object.entries(ENTRIES)) {
  const dir = join(work, String(rows.length));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'entry.js'), code);
  await build({
    root: bench,
    configFile: false,
    logLevel: 'error',
    resolve: { conditions: ['browser', 'module', 'import', 'default'] },
    build: {
      outDir: join(dir, 'dist'),
      target: 'es2022',
      minify: true,
      lib: { entry: join(dir, 'entry.js'), formats: ['es'], fileName: 'bundle' },
    },
  });
  const js = readdirSync(join(dir, 'dist'))
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(join(dir, 'dist', f)));
  const wasm = readdirSync(join(dir, 'dist'), { recursive: true }).filter((f) => String(f).endsWith('.wasm'));
  const bytes = js.reduce((a, b) => a + b.length, 0);
  const gz = js.reduce((a, b) => a + gzipSync(b).length, 0);
  rows.push(
    `| ${name} | ${(bytes / 1024).toFixed(0)} KiB | ${(gz / 1024).toFixed(0)} KiB |${wasm.length ? ` + ${wasm.length} .wasm file(s)` : ''}`,
  );
}
rmSync(work, { recursive: true, force: true });
console.log('| bundle (Vite, minified, browser) | JS | gzip |\n|---|---|---|\n' + rows.join('\n'));
