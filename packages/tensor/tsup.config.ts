import { defineConfig } from 'tsup';

export default defineConfig({
  // @tsdl/tensor/backend (the backend and op author's API) and @tsdl/tensor/internal (what other
  // tsdl packages share with the engine) are entries of their own beside the user API.
  entry: { index: 'src/index.ts', backend: 'src/backend-api.ts', internal: 'src/internal.ts' },
  format: ['esm', 'cjs'],
  // Shared chunks in CommonJS too, so the three entries share one engine, registry and Tensor class.
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
