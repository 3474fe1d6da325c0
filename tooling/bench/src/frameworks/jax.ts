export type Jax = typeof import('@jax-js/jax');

let loaded: Promise<Jax> | null = null;

async function load(): Promise<Jax> {
  const jax = await import('@jax-js/jax');
  // A bare init() probes navigator.gpu, which Node lacks. Without a global
  // Worker (Node has none) the wasm backend runs on one thread.
  await jax.init('wasm');
  jax.defaultDevice('wasm');
  return jax;
}

/** jax-js (@jax-js/jax) on its WebAssembly device. */
export function useJax(): Promise<Jax> {
  loaded ??= load();
  return loaded;
}
