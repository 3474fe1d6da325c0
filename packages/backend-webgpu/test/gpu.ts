import { existsSync } from 'node:fs';
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

/**
 * The policy of every GPU test file: with a device, returns true and the
 * file registers its tests. Without one, on a user's machine, it warns with
 * the reason (which says what to install) and registers one skipped test
 * naming it, so the run shows the skip; under CI (env CI set) a missing
 * adapter is a failing test instead.
 */
export function gpuAvailable(gpu: TestGpu, it: TestRegistrar): boolean {
  if (gpu.device) return true;
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

/** vitest's `it`, as far as gpuAvailable uses it. */
export interface TestRegistrar {
  (name: string, fn: () => void): void;
  skip: (name: string, fn: () => void) => void;
}
