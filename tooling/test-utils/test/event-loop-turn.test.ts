import { describe, expect, it } from 'vitest';

// tooling/vitest.yield.ts, a setup file of every package's vitest config, yields a turn of the
// event loop after each test; without it a file of synchronous tests can starve vitest's RPC.
describe('the shared vitest setup', () => {
  let turned = false;
  it('schedules a macrotask and returns synchronously', () => {
    setImmediate(() => {
      turned = true;
    });
    expect(turned).toBe(false);
  });
  it('sees it run before the next test', () => {
    expect(turned).toBe(true);
  });
});
