import { describe, expect, it } from 'vitest';
import { assertDType, isDType } from '../src/dtype';
import { DTypeError } from '../src/errors';

/**
 * dtype names are checked by comparison (not `name in table`), so keys every
 * object inherits are no dtypes. (The ops that take a dtype call assertDType;
 * keras/test/registries.test.ts runs them on the CPU backend.)
 */
describe.each(['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf'])('%j', (bad) => {
  it('is no dtype', () => {
    expect(isDType(bad)).toBe(false);
    expect(() => assertDType('cast', bad)).toThrow(DTypeError);
    expect(() => assertDType('cast', bad)).toThrow(
      `cast: unknown dtype "${bad}"; expected one of float32, int32, bool`,
    );
  });
});

it('the three dtypes are', () => {
  for (const d of ['float32', 'int32', 'bool']) expect(assertDType('tensor', d)).toBe(d);
});
