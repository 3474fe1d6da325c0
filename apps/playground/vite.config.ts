import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { browserStubs } from './build/browser-stubs';
import { mnistAssets } from './build/mnist-assets';
import { mobyDickAsset } from './build/moby-dick-asset';

// Workspace packages resolve to their TypeScript sources (the `@tsdl/source`
// export condition), so the app builds without building the libraries first.
const conditions = ['@tsdl/source', 'browser', 'module', 'import', 'default'];
const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  base: './',
  resolve: { conditions },
  // Module workers: the worker imports the WebGPU backend on demand, which
  // needs code splitting. Worker bundles take their own plugin list.
  worker: { format: 'es', plugins: () => [browserStubs()] },
  // The library names its errors after their classes (DeviceLostError …);
  // the page explains them by name, so minification keeps class names.
  esbuild: { keepNames: true },
  // Two pages: MNIST (index.html) and the character GPT (text.html).
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    rollupOptions: { input: { main: resolve(here, 'index.html'), text: resolve(here, 'text.html') } },
  },
  plugins: [browserStubs(), mnistAssets(), mobyDickAsset()],
});
