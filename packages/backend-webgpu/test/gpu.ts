import { existsSync } from 'node:fs';
import { gpuTestsEnabled, type TestRegistrar } from '@tsdl/test-utils';
import { swiftShaderIcd, webgpu, webgpuFromDevice, type WebGpuBackend } from '../src/index';

/**
 * One GPU device for a test file. Tries the machine's own adapter first; on
 * a machine without one, falls back to SwiftShader (Debian's chromium ships
 * it) when VK_ICD_FILENAMES is unset, so the default test run finds it with
 * no setup. `reason` says why there is no device.
 */
export interface TestGpu {
  device: GPUDevice | null;
  reason: string;
  /** A fresh backend on the shared device. */
  backend(name?: string): WebGpuBackend;
}

export async function acquireTestGpu(): Promise<TestGpu> {
  let device: GPUDevice | null = null;
  let reason = '';
  try {
    device = (await webgpu()).device;
  } catch (e) {
    reason = (e as Error).message;
    const env = process.env;
    if (!env.VK_ICD_FILENAMES && existsSync(swiftShaderIcd)) {
      env.VK_ICD_FILENAMES = swiftShaderIcd;
      try {
        device = (await webgpu()).device;
        reason = '';
      } catch (e2) {
        reason = `${reason}; with SwiftShader: ${(e2 as Error).message}`;
      }
    }
  }
  return {
    device,
    reason,
    backend: (name = 'webgpu') => {
      if (!device) throw new Error(reason);
      return webgpuFromDevice(device, { name });
    },
  };
}

/** True when there is a device; otherwise test-utils' policy registers the skip (or, under CI, the failure). */
export function gpuAvailable(gpu: TestGpu, it: TestRegistrar): boolean {
  return gpuTestsEnabled(gpu.device ? null : gpu.reason, it);
}
