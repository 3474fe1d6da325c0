import { createRequire } from 'node:module';
import path from 'node:path';

export type Tf = typeof import('@tensorflow/tfjs');
export type TfBackend = 'cpu' | 'wasm';

let loaded: Promise<Tf> | null = null;

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
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // The wasm binaries sit beside the package's entry file; Node needs their file path.
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}${path.sep}`);
  return tf;
}

/** TensorFlow.js (@tensorflow/tfjs) with `backend` active. In Node its wasm backend runs on one thread (SIMD on). */
export async function useTfjs(backend: TfBackend): Promise<Tf> {
  loaded ??= load();
  const tf = await loaded;
  if (tf.getBackend() !== backend) {
    const ok = await tf.setBackend(backend);
    if (!ok) throw new Error(`TensorFlow.js: backend '${backend}' failed to initialise`);
  }
  await tf.ready();
  return tf;
}
