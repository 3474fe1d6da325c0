import { existsSync } from 'node:fs';
import { swiftShaderIcd, webgpu, type WebGpuBackend } from '@tsdl/backend-webgpu';
import { gpuTestsEnabled, type TestRegistrar } from '@tsdl/test-utils';

/**
 * A backend for the GPU tests, found as packages/backend-webgpu/test/gpu.ts
 * finds one: the machine's adapter, else SwiftShader when chromium ships it
 * and VK_ICD_FILENAMES is unset. Without either, test-utils' policy decides.
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

/** True when there is a GPU; otherwise test-utils' policy registers the skip (or, under CI, the failure). */
export function gpuAvailable(gpu: TestGpu, it: TestRegistrar): boolean {
  return gpuTestsEnabled(gpu.backend ? null : gpu.reason, it);
}
