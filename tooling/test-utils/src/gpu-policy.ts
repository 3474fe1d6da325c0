/** vitest's `it`, as far as gpuTestsEnabled uses it. */
export interface TestRegistrar {
  (name: string, fn: () => void): void;
  skip: (name: string, fn: () => void) => void;
}

/**
 * The policy of every GPU test file: with a device (`reason` null), returns
 * true and the file registers its tests. Without one, on a user's machine, it
 * warns with the reason (which says what to install) and registers one
 * skipped test naming it, so the run shows the skip; under CI (env CI set) a
 * missing adapter is a failing test instead.
 */
export function gpuTestsEnabled(reason: string | null, it: TestRegistrar): boolean {
  if (reason === null) return true;
  if ((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.CI) {
    it('has a WebGPU adapter (required under CI)', () => {
      throw new Error(`no WebGPU adapter under CI: ${reason}`);
    });
  } else {
    console.warn(`skipping the WebGPU tests: ${reason}`);
    it.skip(`WebGPU tests (skipped: no adapter; ${reason})`, () => {});
  }
  return false;
}
