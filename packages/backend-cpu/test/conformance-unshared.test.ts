import { runConformance } from '@tsdl/conformance';
import { cpu } from '../src/index';

// SIMD kernels over storage outside wasm memory (operands copied in): a page without SharedArrayBuffer.
runConformance(
  'cpu-unshared',
  () => cpu({ sharedMemory: false, name: 'cpu-unshared' }),
  () => cpu({ sharedMemory: false, name: 'cpu-unshared-second' }),
);
