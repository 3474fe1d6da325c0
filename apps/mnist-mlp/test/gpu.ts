import { existsSync } from 'node:fs';
import { swiftShaderIcd, webgpu, type WebGpuBackend } from '@tsdl/backend-webgpu';

/**
 * The GPU test policy of packages/backend-webgpu/test/gpu.ts (not exported by
 * the package, so copied here): the machine's adapter, else SwiftShader when
 * chromium ships it and VK_ICD_FILENAMES is unset. Without either, a file
 * warns with the reason (which says what to install) and registers one
 * skipped test naming it; under CI (env CI set) it is a failing test instead.
 */
export interface TestGpu {
  backend: WebGpuBackend | null;
  reason: string;
}

export async function acquireTestGpu(): Promise<TestGpu> {
  try {
    return { backend: await webgpu(), reason: '' };
  } catch (e) {
    const reason = (e as Error).message;
    if (process.env.VK_ICD_FILENAMES || !existsSync(swiftShaderIcd)) return { backend: null, reason };
    process.env.VK_ICD_FILENAMES = swiftShaderIcd;
    try {
      return { backend: await webgpu(), reason: '' };
    } catch (e2) {
      return { backend: null, reason: `${reason}; with SwiftShader: ${(e2 as Error).message}` };
    }
  }
}

/** vitest's `it`, as far as gpuAvailable uses it. */
export interface TestRegistrar {
  (name: string, fn: () => void): void;
  skip: (name: string, fn: () => void) => void;
}

/** True when there is a GPU; otherwise registers the skip (or, under CI, the failure) and returns false. */
export function gpuAvailable(gpu: TestGpu, it: TestRegistrar): boolean {
  if (gpu.backend) return true;
  if (process.env.CI) {
    it('has a WebGPU adapter (required under CI)', () => {
      throw new Error(`no WebGPU adapter under CI: ${gpu.reason}`);
    });
  } else {
    console.warn(`skipping the WebGPU tests: ${gpu.reason}`);
    it.skip(`WebGPU tests (skipped: no adapter; ${gpu.reason})`, () => {});
  }
  return false;
}
