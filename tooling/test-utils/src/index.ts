/**
 * @tsdl/test-utils: helpers every package's tests share: allClose with
 * stated tolerances (sync for host arrays, async for tensors), an async
 * central finite-difference gradient check, seeded test data and the
 * skip-or-fail policy of GPU test files. Tensors are
 * read with `await t.data()`, so the helpers work on every backend. `opsBehind`
 * names the ops recorded behind a result.
 */
export {
  allClose,
  compareClose,
  expectAllClose,
  expectTensorClose,
  readNumbers,
  FLOAT32_TOLERANCE,
  type Tolerance,
  type Numbers,
} from './all-close';
export { gradCheck, type GradCheckOptions } from './grad-check';
export { seededNumbers, seededAwayFrom } from './random-data';
export { opsBehind } from './recorded-ops';
export { gpuTestsEnabled, type TestRegistrar } from './gpu-policy';
export {
  exposeGc,
  collect,
  makeMlp,
  leakyStep,
  tidyStep,
  mlpLoss,
  disposeMlp,
  runLeakyTraining,
  type Mlp,
  type LeakyRun,
} from './leaky-training';
