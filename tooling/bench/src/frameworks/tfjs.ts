import { createRequire } from 'node:module';
import path from 'node:path';
import { useNavigatorGpu } from './gpu';

export type Tf = typeof import('@tensorflow/tfjs');
export type TfBackend = 'cpu' | 'wasm' | 'webgpu';

let loaded: Promise<Tf> | null = null;
const backends = new Map<TfBackend, Promise<void>>();

/**
 * TensorFlow.js's first tensor on the cpu backend in Node prints a banner
 * advising tfjs-node (which we never install: it downloads a binary at
 * install time). Drop that one message; let every other warning through.
 */
function muteNodeBanner(): void {
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('tfjs-node')) return;
    warn(...args);
  };
}

async function load(): Promise<Tf> {
  muteNodeBanner();
  return import('@tensorflow/tfjs');
}

/**
 * Loads the package that registers `backend` (cpu is built in). Each loads
 * only when asked for, so a GPU run (or its one-file bundle) never needs the
 * wasm binaries, and a CPU run never needs Dawn.
 */
async function register(backend: TfBackend): Promise<void> {
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The wasm binaries sit beside the package's entry file; Node needs their file path.
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}${path.sep}`);
  } else if (backend === 'webgpu') {
    // The module registers its backend only if navigator.gpu exists when it loads.
    await useNavigatorGpu();
    await import('@tensorflow/tfjs-backend-webgpu');
  }
}

/** TensorFlow.js (@tensorflow/tfjs) with `backend` active. In Node its wasm backend runs on one thread (SIMD on). */
export async function useTfjs(backend: TfBackend): Promise<Tf> {
  loaded ??= load();
  const tf = await loaded;
  let reg = backends.get(backend);
  if (!reg) backends.set(backend, (reg = register(backend)));
  await reg;
  if (tf.getBackend() !== backend) {
    const ok = await tf.setBackend(backend);
    if (!ok) throw new Error(`TensorFlow.js: backend '${backend}' failed to initialise`);
  }
  await tf.ready();
  return tf;
}
