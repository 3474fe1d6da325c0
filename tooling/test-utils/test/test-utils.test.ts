import '@tsdl/autograd';
// A relative import, not a dependency: backend-cpu's tests use these helpers
// through the conformance suite, and a package dependency would be a cycle.
import { cpu } from '../../../packages/backend-cpu/src/index';
import { detach, exp, mul, setBackend, sum, tensor } from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { allClose, compareClose, gradCheck, seededAwayFrom, seededNumbers } from '../src/index';

beforeAll(() => setBackend(cpu()));

describe('allClose', () => {
  it('applies atol + rtol·|expected|', () => {
    expect(allClose([1.0001], [1], { atol: 0, rtol: 2e-4 })).toBe(true);
    expect(allClose([1.001], [1], { atol: 0, rtol: 2e-4 })).toBe(false);
    expect(allClose([1e-6], [0], { atol: 1e-5, rtol: 0 })).toBe(true);
  });
  it('treats NaN as equal to NaN and needs infinities to match', () => {
    expect(allClose([NaN, Infinity], [NaN, Infinity])).toBe(true);
    expect(allClose([1e30], [Infinity])).toBe(false);
    expect(allClose([NaN], [0])).toBe(false);
  });
  it('names the first bad element', () => {
    expect(compareClose([1, 2, 3], [1, 2, 4])).toMatch(/element 2: got 3, expected 4/);
    expect(compareClose([1, 2], [1, 2, 3])).toMatch(/length 2 differs from expected length 3/);
  });
});

describe('gradCheck', () => {
  it('accepts a correct gradient', () => {
    gradCheck((x, y) => sum(mul(exp(x), y), [1]), [tensor(seededNumbers(6, 3), [2, 3]), tensor(seededNumbers(6, 4), [2, 3])]);
  });
  it('rejects a wrong gradient (a detached factor halves d(x²)/dx)', () => {
    expect(() => gradCheck((x) => mul(x, detach(x)), [tensor(seededAwayFrom(5, 2, [0]), [5])])).toThrow(/differs from finite differences/);
  });
});

describe('seeded data', () => {
  it('is deterministic and stays away from kinks', () => {
    expect(seededNumbers(4, 9)).toEqual(seededNumbers(4, 9));
    expect(seededAwayFrom(200, 1, [0]).every((v) => Math.abs(v) >= 0.05)).toBe(true);
  });
});
