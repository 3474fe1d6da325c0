import { defineConfig } from 'tsup';

export default defineConfig({
  // node-only and its browser twin are separate files: package.json's "imports" picks one per
  // environment for '#node-only', which therefore stays an import in the bundle (external).
  entry: { index: 'src/index.ts', 'node-only': 'src/node-only.ts', 'node-only.browser': 'src/node-only.browser.ts' },
  external: ['#node-only'],
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
