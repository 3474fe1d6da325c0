import { runConformance } from '@tsdl/conformance';
import { it } from 'vitest';
import { acquireTestGpu, gpuAvailable } from './gpu';

/**
 * The shared conformance suite on WebGPU (a real adapter, or SwiftShader on a
 * machine without a GPU), exactly as the CPU backend runs it. The suite reads
 * values with await t.data(); the tests of synchronous reads are replaced by
 * checks that they throw the documented BackendError.
 */
const gpu = await acquireTestGpu();

if (gpuAvailable(gpu, it)) {
  // Backends are made synchronously on one shared device, as the suite's factories must be.
  runConformance(
    'webgpu',
    () => gpu.backend('webgpu'),
    () => gpu.backend('webgpu-second'),
  );
}
