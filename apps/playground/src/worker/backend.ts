import { cpu } from '@tsdl/backend-cpu';
import type { Backend } from '@tsdl/tensor';
import type { BackendChoice } from '../protocol';

export interface SelectedBackend {
  backend: Backend;
  name: 'webgpu' | 'cpu';
  /** What runs, in words: the GPU adapter, or the CPU. */
  detail: string;
  /** Why WebGPU is not used although it was asked for (or, for 'auto', why it is not there). */
  fallback?: string;
}

/** The CPU backend's kernels are WebAssembly SIMD where the browser supports it, plain JavaScript otherwise. */
function cpuDetail(backend: ReturnType<typeof cpu>): string {
  return `the CPU backend (${backend.simd ? 'WebAssembly SIMD' : 'JavaScript'}, in a Web Worker)`;
}

/** SwiftShader and other CPU-emulated adapters: real WebGPU, but slower than the CPU backend itself. */
function isSoftware(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return (
    info?.isFallbackAdapter === true ||
    /swiftshader|llvmpipe|lavapipe/i.test(`${info?.architecture} ${info?.description} ${info?.device}`)
  );
}

/** "google swiftshader", "nvidia ampere …": what the browser tells of the adapter. */
function adapterName(adapter: GPUAdapter): string {
  const info = adapter.info;
  return (
    [info?.vendor, info?.architecture, info?.description].filter((s) => s && s.length > 0).join(' ') ||
    'an unnamed adapter'
  );
}

/**
 * WebGPU when the browser gives an adapter and the backend starts, else the
 * CPU backend. The WebGPU backend is imported on demand, so a browser where it
 * cannot even load still trains on the CPU, with the reason in plain words.
 */
export async function selectBackend(choice: BackendChoice): Promise<SelectedBackend> {
  let fallback: string | undefined;
  if (choice !== 'cpu') {
    try {
      const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
      if (!gpu)
        throw new Error(
          'this browser does not offer WebGPU here (navigator.gpu is missing; it needs a recent Chrome, Edge, Safari or Firefox, over https or on localhost)',
        );
      const adapter = await gpu.requestAdapter();
      if (!adapter)
        throw new Error(
          'the browser offers WebGPU but found no GPU adapter (WebGPU may be switched off, or the GPU is on its block list)',
        );
      if (choice === 'auto' && isSoftware(adapter)) {
        const cpuBackend = cpu();
        return {
          backend: cpuBackend,
          name: 'cpu',
          detail: cpuDetail(cpuBackend),
          fallback: `The only WebGPU adapter here is a software one (${adapterName(adapter)}), slower than the CPU backend, so Auto picked the CPU; choose WebGPU to use it anyway.`,
        };
      }
      const { webgpu } = await import('@tsdl/backend-webgpu');
      const backend = await webgpu({ adapter });
      return { backend, name: 'webgpu', detail: `WebGPU on ${adapterName(adapter)}` };
    } catch (e) {
      fallback = `WebGPU is not available: ${(e as Error).message}. Training runs on the CPU instead.`;
    }
  }
  const cpuBackend = cpu();
  return { backend: cpuBackend, name: 'cpu', detail: cpuDetail(cpuBackend), fallback };
}
