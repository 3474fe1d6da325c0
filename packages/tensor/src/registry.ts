import type { Backend } from './backend';
import { copiesHint, registerCopy } from './copies';
import { BackendError } from './errors';

/**
 * The backend registry. A backend is chosen explicitly — `setBackend(cpu())` —
 * and can be swapped at run time; no package registers itself on import.
 */
const registry = new Map<string, Backend>();
let active: Backend | null = null;
registerCopy(() => active);

/** Adds a backend under its name (replacing one of the same name). */
export function registerBackend(backend: Backend): void {
  registry.set(backend.name, backend);
}

/** Makes a backend the one new tensors are created on. A name must be registered first. */
export function setBackend(backend: Backend | string): Backend {
  if (typeof backend === 'string') {
    const found = registry.get(backend);
    if (!found) {
      throw new BackendError(
        `setBackend: no backend named '${backend}' is registered (registered: ${[...registry.keys()].join(', ') || 'none'}); ` +
          `pass a backend instance, e.g. setBackend(cpu()) from @tsdl/backend-cpu`,
      );
    }
    active = found;
  } else {
    registerBackend(backend);
    active = backend;
  }
  return active;
}

/** The active backend; throws a BackendError that says how to choose one when none is set. */
export function getBackend(): Backend {
  if (active === null) {
    throw new BackendError(
      'no backend selected: call setBackend(cpu()) with cpu from @tsdl/backend-cpu (or await webgpu() from @tsdl/backend-webgpu) before creating tensors' +
        copiesHint(),
    );
  }
  return active;
}

/** The active backend or null, without throwing. */
export function activeBackend(): Backend | null {
  return active;
}

/** Every registered backend, by name. */
export function listBackends(): Backend[] {
  return [...registry.values()];
}

/** Looks up a registered backend by name. */
export function findBackend(name: string): Backend | undefined {
  return registry.get(name);
}

/** Removes a backend from the registry (and deactivates it if active). */
export function removeBackend(name: string): void {
  const b = registry.get(name);
  registry.delete(name);
  if (b && active === b) active = null;
}
