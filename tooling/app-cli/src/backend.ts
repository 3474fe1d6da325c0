import { existsSync } from 'node:fs';
import { cpu } from '@tsdl/backend-cpu';
import { type Backend, setBackend } from '@tsdl/tensor';

/**
 * Choosing the backend named by --backend. The WebGPU backend is imported
 * only when asked for, so `--backend cpu` never loads Dawn's native module.
 */

/** The backend in use, a line saying what it runs on, and how to let the process exit. */
export interface AppBackend {
  backend: Backend;
  /** 'cpu', or 'webgpu (google swiftshader, SwiftShader driver 5.0.0)'. */
  description: string;
  /** Frees the device (Dawn keeps the event loop alive while a device exists). */
  close(): void;
}

/** The backends this app can run on, by the name given to --backend. */
const BACKENDS: Record<string, () => Promise<AppBackend>> = {
  cpu: async () => ({ backend: cpu(), description: 'cpu', close: () => {} }),
  webgpu: openWebGpu,
};

/** Selects the backend named on the command line; an unknown name is an error listing the available ones. */
export async function useBackend(name: string): Promise<AppBackend> {
  const open = BACKENDS[name];
  if (!open) throw new Error(`--backend ${name}: unknown backend (available: ${Object.keys(BACKENDS).join(', ')})`);
  const chosen = await open();
  setBackend(chosen.backend);
  return chosen;
}

/**
 * The machine's GPU; on a machine without one, SwiftShader (a CPU Vulkan
 * driver shipped with Debian's chromium) when it is installed and
 * VK_ICD_FILENAMES is unset, as the backend's tests do. Without either, the
 * backend's own error, which says what to install.
 */
async function openWebGpu(): Promise<AppBackend> {
  const { webgpu, swiftShaderIcd } = await import('@tsdl/backend-webgpu');
  let backend;
  try {
    backend = await webgpu();
  } catch (e) {
    if (process.env.VK_ICD_FILENAMES || !existsSync(swiftShaderIcd)) throw e;
    process.env.VK_ICD_FILENAMES = swiftShaderIcd;
    try {
      backend = await webgpu();
    } catch {
      throw e;
    }
    console.log(`no GPU adapter found; using SwiftShader (${swiftShaderIcd}), a CPU Vulkan driver: slow`);
  }
  // GPUAdapterInfo's fields are prototype getters (spreading or JSON.stringify gives {}): read each one.
  const info = backend.device.adapterInfo;
  const adapter = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(', ');
  return { backend, description: `webgpu (${adapter || 'adapter info not reported'})`, close: () => backend.dispose() };
}
