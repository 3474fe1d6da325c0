import { defineConfig } from 'tsup';

export default defineConfig({
  // node-only and its browser twin are separate files: package.json's "imports" picks one per
  // environment for '#node-only', which therefore stays an import in the bundle (external).
  // keras-file (@tsdl/keras/keras-file) is an entry of its own, so the main one never loads HDF5 (h5wasm).
  entry: {
    index: 'src/index.ts',
    'keras-file': 'src/keras-file.ts',
    'node-only': 'src/node-only.ts',
    'node-only.browser': 'src/node-only.browser.ts',
  },
  external: ['#node-only'],
  format: ['esm', 'cjs'],
  // Shared chunks in CommonJS too, so @tsdl/keras/keras-file and @tsdl/keras share one Layer class (instanceof works across them).
  splitting: true,
  // Rollup makes the CommonJS chunks: tsup's own CJS splitting (sucrase) turns import('h5wasm') into require('h5wasm'),
  // which fails on Node 20 (h5wasm is ESM-only); Rollup keeps the dynamic import.
  treeshake: true,
  dts: { entry: { index: 'src/index.ts', 'keras-file': 'src/keras-file.ts' } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
