import { runConformance } from '@tsdl/conformance';
import { reference } from '../src/index';

// Without readSync, as a GPU: indices computed on the device reach the kernels and the
// device index checks (checkIndices' lowering here), which report them at the next read.
runConformance(
  'reference-async',
  () => reference({ name: 'reference-async', readSync: false }),
  () => reference({ name: 'reference-async-second', readSync: false }),
);
