// Relative imports, not package dependencies: backend-cpu and test-utils both
// depend on @tsdl/autograd (through the conformance suite and gradCheck), so
// listing them here would make a package cycle that turbo rejects.
import { cpu } from '../../backend-cpu/src/index';
import { type Tensor, setBackend } from '@tsdl/tensor';
import { beforeAll, expect } from 'vitest';
import { compareClose } from '../../../tooling/test-utils/src/index';

export { gradCheck, seededNumbers } from '../../../tooling/test-utils/src/index';

/** Installs a CPU backend for the test file. */
export function useCpu(): void {
  beforeAll(() => {
    setBackend(cpu());
  });
}

/** Asserts a tensor's values are within atol + rtol·|expected| of `expected` (−0 equals 0). */
export function expectValues(
  actual: Tensor | null | undefined,
  expected: readonly number[],
  atol = 1e-6,
  rtol = 1e-6,
): void {
  expect(actual, 'tensor').toBeTruthy();
  // These tests run on the CPU backend, so the tensor is read synchronously.
  expect(compareClose((actual as Tensor).dataSync(), expected, { atol, rtol })).toBeNull();
}

/** A float32 leaf that requires grad. */
export function leaf(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}
