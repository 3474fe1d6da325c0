import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  clean: true,
  target: 'node20',
  // The peers are devDependencies, which tsup would inline: keep them as
  // imports, so each loads its own files (tfjs' wasm binaries sit beside its entry).
  external: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@jax-js/jax'],
});
