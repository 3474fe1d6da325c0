import { runConformance } from '@tsdl/conformance';
import { it } from 'vitest';
import { acquireTestGpu, gpuAvailable } from './gpu';

/**
 * The shared conformance suite on WebGPU (a real adapter, or SwiftShader on a
 * machine without a GPU). Kept out of the default test run (the file name
 * does not match test/**\/*.test.ts) until the whole suite passes here;
 * run it with: npx vitest run --config packages/backend-webgpu/vitest.webgpu.config.ts conformance
 */
const gpu = await acquireTestGpu();

if (gpuAvailable(gpu, it)) {
  // Backends are made synchronously on one shared device, as the suite's factories must be.
  runConformance('webgpu', () => gpu.backend('webgpu'), () => gpu.backend('webgpu-second'));
}
