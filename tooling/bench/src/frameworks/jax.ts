import { useNavigatorGpu } from './gpu';

export type Jax = typeof import('@jax-js/jax');
/** jax-js' devices used here: WebAssembly on the CPU, WebGPU on the GPU. */
export type JaxDevice = 'wasm' | 'webgpu';

let loaded: Promise<Jax> | null = null;
const started = new Map<JaxDevice, Promise<void>>();

async function start(jax: Jax, device: JaxDevice): Promise<void> {
  // A bare init() probes navigator.gpu, which Node lacks: name the device. Without a global
  // Worker (Node has none) the wasm backend runs on one thread.
  if (device === 'webgpu') await useNavigatorGpu();
  const ok = await jax.init(device);
  if (!ok.includes(device))
    throw new Error(`jax-js: device '${device}' failed to initialise (available: ${ok.join(', ') || 'none'})`);
}

/**
 * jax-js (@jax-js/jax) with `device` as the default device. Arrays live on
 * the device that was the default when they were made, so a session calls this
 * before making any.
 */
export async function useJax(device: JaxDevice = 'wasm'): Promise<Jax> {
  loaded ??= import('@jax-js/jax');
  const jax = await loaded;
  let s = started.get(device);
  if (!s) started.set(device, (s = start(jax, device)));
  await s;
  jax.defaultDevice(device);
  return jax;
}
