import { defineConfig } from 'tsup';

export default defineConfig({
  // node/index is a separate entry so the main one (browser-safe) never pulls in node:fs;
  // internal (@tsdl/nn/internal) holds what keras shares with nn and users should not import.
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts', internal: 'src/internal.ts' },
  format: ['esm', 'cjs'],
  // Shared chunks in CommonJS too, so @tsdl/nn/node and @tsdl/nn share one Module class (instanceof works across them).
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
