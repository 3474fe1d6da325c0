import { defineConfig } from 'tsup';

export default defineConfig({
  // model.ts is also an entry: the playground and the bench import the model from it.
  entry: ['src/main.ts', 'src/model.ts'],
  format: ['esm'],
  clean: true,
  target: 'node20',
});
