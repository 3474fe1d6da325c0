import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  clean: true,
  target: 'node20',
  // The peers are devDependencies, which tsup would inline: keep them as
  // imports, so each loads its own files (tfjs' wasm binaries sit beside its
  // entry, Dawn's dawn.node beside webgpu's). tsup.gpu.config.ts makes the
  // one-file bundle for a GPU machine instead.
  external: [
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-backend-webgpu',
    '@jax-js/jax',
    'webgpu',
  ],
});
