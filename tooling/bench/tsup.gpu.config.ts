import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'tsup';

/**
 * The bench as ONE file for a lent GPU machine, which has no Node packages and
 * no internet (see /work/shared/gpu/README.md and scripts/gpu-bundle.sh): every
 * dependency inlined (tsdl from its TypeScript sources, the peers from their
 * packages) except `webgpu`, whose native dawn.node is shipped beside it, and
 * tfjs' wasm backend, which a GPU run never loads. Output: $BENCH_GPU_OUT/bench.mjs.
 */

const here = path.dirname(new URL(import.meta.url).pathname);

/** A package's version, from the package.json its node_modules link points at (the bundle has none to read). */
function version(name: string): string {
  return (
    JSON.parse(readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
  ).version;
}

const versions = Object.fromEntries(
  ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', '@jax-js/jax', 'webgpu'].map(
    (n) => [n, version(n)],
  ),
);

export default defineConfig({
  entry: { bench: 'src/main.ts' },
  outDir: process.env.BENCH_GPU_OUT ?? path.join(here, '../../.gpu'),
  outExtension: () => ({ js: '.mjs' }),
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: false, // the output directory holds Node, the .debs and the data too
  splitting: false,
  sourcemap: false,
  // tsup's noExternal wins over external, so the two kept out are left out of its pattern too.
  noExternal: [/^(?!webgpu$|@tensorflow\/tfjs-backend-wasm$)/],
  external: ['webgpu', '@tensorflow/tfjs-backend-wasm'],
  define: { __BENCH_VERSIONS__: JSON.stringify(versions) },
  // tfjs is CommonJS and requires Node built-ins: give the ESM bundle a real require.
  banner: {
    js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);",
  },
  esbuildOptions(options) {
    // tsdl from its sources, not whatever dist/ other builds left behind.
    options.conditions = ['@tsdl/source', 'node', 'import', 'module', 'default'];
  },
});
