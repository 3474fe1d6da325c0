import type { Backend } from '@tsdl/tensor';
import type { AccelerationName } from '@tsdl/tensor/backend';

/**
 * What every group of conformance tests receives. `factory` makes a fresh
 * backend instance; `runConformance` has already made one and set it active
 * before any test runs. `second` makes another instance under a different
 * name, for the tests that move tensors between backends or mix them.
 * `sync` is decided once, at registration, from a factory() instance.
 */
export interface ConformanceContext {
  name: string;
  factory: () => Backend;
  second: () => Backend;
  /**
   * Whether the backend reads synchronously (has readSync). Tests of
   * dataSync, t.to() and printing values are registered only where it
   * does; every other test reads with await.
   */
  sync: boolean;
  /**
   * The optional kernels the backend implements (tensor's Accelerations), decided
   * with `sync`: each is compared with its reference lowering.
   */
  accelerations: ReadonlySet<AccelerationName>;
}
