import { describe, expect, it, vi } from 'vitest';
import { ArgumentError, BackendError, add, getBackend } from '../src/index';

/**
 * Two copies of @tsdl/tensor in one app (ESM + CJS builds, two versions) each
 * have their own registry and Tensor class. Loading the package's modules a
 * second time (vi.resetModules) makes a second copy in this realm, as a
 * bundler that includes both builds does.
 */
describe('a second loaded copy of @tsdl/tensor is named in the errors it causes', () => {
  it('"no backend selected" says setBackend was called on the other copy', async () => {
    vi.resetModules();
    const other = await import('../src/index');
    other.setBackend({ name: 'fake' } as never);
    let message = '';
    try {
      getBackend();
    } catch (e) {
      expect(e).toBeInstanceOf(BackendError);
      message = (e as Error).message;
    }
    expect(message).toMatch(/no backend selected/);
    expect(message).toMatch(/2 copies of @tsdl\/tensor are loaded/);
    expect(message).toMatch(/setBackend was called on the other one/);
    expect(message).toMatch(/packages\/tensor\/src\/registry\.ts/);
    other.removeBackend('fake');
  });

  it('a Tensor of the other copy is named as such, not as "an object"', () => {
    // Only the class name matters to the check (instanceof fails across copies).
    class Tensor {}
    let error: unknown;
    try {
      add(new Tensor() as never, 1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as Error).message).toMatch(
      /add: argument 1 \(a\) must be a Tensor.*\(a Tensor of another copy of @tsdl\/tensor — 2 copies/,
    );
  });
});
