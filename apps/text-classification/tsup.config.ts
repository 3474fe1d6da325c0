import { defineConfig } from 'tsup';

export default defineConfig({
  // model.ts is also an entry, exported as ./model like the MNIST apps' builders.
  entry: ['src/main.ts', 'src/model.ts'],
  format: ['esm'],
  clean: true,
  target: 'node20',
});
