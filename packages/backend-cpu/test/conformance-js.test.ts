import { runConformance } from '@tsdl/conformance';
import { cpu } from '../src/index';

// The plain-JavaScript kernels: the fallback where WebAssembly SIMD is missing, and the reference.
runConformance(
  'cpu-js',
  () => cpu({ simd: false, name: 'cpu-js' }),
  () => cpu({ simd: false, name: 'cpu-js-second' }),
);
