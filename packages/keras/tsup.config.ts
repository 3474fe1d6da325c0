import { defineConfig } from 'tsup';

export default defineConfig({
  // keras-file (@tsdl/keras/keras-file) is an entry of its own, so the main one never loads HDF5 (h5wasm).
  entry: { index: 'src/index.ts', 'keras-file': 'src/keras-file.ts' },
  format: ['esm', 'cjs'],
  // Shared chunks in CommonJS too, so @tsdl/keras/keras-file and @tsdl/keras share one Layer class (instanceof works across them).
  splitting: true,
  // Rollup makes the CommonJS chunks: tsup's own CJS splitting (sucrase) turns import('h5wasm') into require('h5wasm'),
  // which fails on Node 20 (h5wasm is ESM-only); Rollup keeps the dynamic import.
  treeshake: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
