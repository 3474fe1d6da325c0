import '@tsdl/autograd';
// A relative import, not a dependency: backend-cpu's tests use these helpers
// through the conformance suite, and a package dependency would be a cycle.
import { cpu } from '../../../packages/backend-cpu/src/index';
import { type Tensor, add, dispose, exp, memory, mul, setBackend, sum, tensor } from '@tsdl/tensor';
import { detach } from '@tsdl/tensor/internal';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  allClose,
  compareClose,
  expectAllClose,
  expectTensorClose,
  gradCheck,
  opsBehind,
  seededAwayFrom,
  seededNumbers,
} from '../src/index';

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
  it('refuses a tensor in the sync helpers and says to await it', () => {
    const t = tensor([1, 2]);
    expect(() => expectAllClose(t as never, [1, 2])).toThrow(/got a Tensor; use await expectTensorClose/);
    t.dispose();
  });
  it('expectTensorClose reads a tensor asynchronously (a view, in logical order)', async () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    await expectTensorClose(t.transpose(), [1, 4, 2, 5, 3, 6], { atol: 0, rtol: 0 });
    await expect(expectTensorClose(t, [1, 2, 3, 4, 5, 7], undefined, 'row')).rejects.toThrow(
      /row differ: element 5: got 6, expected 7/,
    );
    t.dispose();
  });
});

describe('gradCheck', () => {
  it('accepts a correct gradient and leaves no tensor behind', async () => {
    const inputs = [tensor(seededNumbers(6, 3), [2, 3]), tensor(seededNumbers(6, 4), [2, 3])];
    const before = memory().numTensors;
    await gradCheck((x, y) => sum(mul(exp(x), y), [1]), inputs);
    expect(memory().numTensors).toBe(before);
    dispose(inputs);
  });
  it('rejects a wrong gradient (a detached factor halves d(x²)/dx)', async () => {
    const x = tensor(seededAwayFrom(5, 2, [0]), [5]);
    await expect(gradCheck((v) => mul(v, detach(v)), [x])).rejects.toThrow(
      /gradient of input 0 \(shape \[5\]\) differs from finite differences/,
    );
    x.dispose();
  });
  it('checks only the inputs in wrt, each element of each (a wrong rule in the second input is found)', async () => {
    const a = tensor(seededNumbers(3, 5), [3]);
    const b = tensor(seededAwayFrom(4, 6, [0]), [4]);
    // Gradients of a are right; of b, wrong (detached): only checking b fails.
    const f = (x: Tensor, y: Tensor) => add(sum(mul(x, x)), sum(mul(y, detach(y))));
    await gradCheck(f, [a, b], { wrt: [0] });
    await expect(gradCheck(f, [a, b], { wrt: [0, 1] })).rejects.toThrow(/gradient of input 1 \(shape \[4\]\)/);
    dispose([a, b]);
  });
});

describe('seeded data', () => {
  it('is deterministic and stays away from kinks', () => {
    expect(seededNumbers(4, 9)).toEqual(seededNumbers(4, 9));
    expect(seededAwayFrom(200, 1, [0]).every((v) => Math.abs(v) >= 0.05)).toBe(true);
  });
});

describe('opsBehind', () => {
  it('names every op recorded behind a result, across branches, and none behind a leaf', () => {
    const x = tensor([1, 2], [2]);
    x.requiresGrad = true;
    const y = sum(mul(exp(x), add(x, 1)));
    expect(opsBehind(y)).toEqual(new Set(['sum', 'mul', 'exp', 'add']));
    expect(opsBehind(x).size).toBe(0);
    dispose([x, y]);
  });
});
