import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { reference } from '../../../tooling/backend-reference/src/index';
import * as api from '../src/index';
import {
  ArgumentError,
  type Axes,
  Tensor,
  setBackend,
  tensor,
  variance,
  std,
  type VarianceOptions,
} from '../src/index';

/**
 * A Tensor method and the exported function of the same name take the same arguments after the
 * tensor (the methods' parameters are `OpArgs<typeof op>`). The type checks below run in the
 * package's typecheck (tsc -p, which includes test/); vitest only runs the value checks.
 */
type Fn = (...args: never[]) => unknown;
type Tail<P> = P extends readonly [unknown?, ...infer R] ? R : never;
// Exact equality (optionality and readonly included), not mutual assignability.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** The method names of `C` whose parameters differ from function `F[name]`'s after its first. */
type Drifted<C, F> = {
  [K in keyof C & keyof F]: C[K] extends Fn
    ? F[K] extends Fn
      ? Equal<Parameters<C[K]>, Tail<Parameters<F[K]>>> extends true
        ? never
        : K
      : never
    : never;
}[keyof C & keyof F];

beforeAll(() => {
  setBackend(reference());
});

describe('Tensor methods take their functions’ arguments', () => {
  it('for every method that has a function of its name', () => {
    expectTypeOf<Drifted<Tensor, typeof api>>().toEqualTypeOf<never>();
    // The names it compares: the check is not vacuous.
    expectTypeOf<'variance' | 'sum' | 'matmul' | 'topk' | 'cumsum'>().toMatchTypeOf<keyof Tensor & keyof typeof api>();
  });

  it('and the check catches a drifted pair', () => {
    class Fake {
      variance(axes?: Axes, keepDims?: boolean, correction?: number): number {
        return [axes, keepDims, correction].length;
      }
    }
    type Fns = { variance: (x: Fake, axes?: Axes, keepDims?: boolean, options?: VarianceOptions) => number };
    expectTypeOf<Drifted<Fake, Fns>>().toEqualTypeOf<'variance'>();
    // The same function with the method's parameters is no drift.
    expectTypeOf<
      Drifted<Fake, { variance: (x: Fake, ...a: Parameters<Fake['variance']>) => number }>
    >().toEqualTypeOf<never>();
  });

  it('variance and std: axes and keepDims positional, as every reduction; then { correction }', () => {
    expectTypeOf<Parameters<Tensor['variance']>>().toEqualTypeOf<
      [axes?: Axes, keepDims?: boolean, options?: VarianceOptions]
    >();
    const x = tensor([
      [1, 2, 3, 4],
      [2, 4, 6, 8],
    ]);
    // Row variances: population 1.25 and 5; with correction 1, 5/3 and 20/3.
    expect(x.variance(1).arraySync()).toEqual([1.25, 5]);
    expect(variance(x, 1, true).shape).toEqual([2, 1]);
    const unbiased = x.variance(-1, false, { correction: 1 }).arraySync() as number[];
    expect(unbiased[0]).toBeCloseTo(5 / 3, 6);
    expect(unbiased[1]).toBeCloseTo(20 / 3, 6);
    expect(x.std(1, true, { correction: 1 }).arraySync()).toEqual(std(x, 1, true, { correction: 1 }).arraySync());
    x.dispose();
  });

  it('variance refuses the old `{ keepDims }` third argument and unknown options', () => {
    const x = tensor([1, 2, 3]);
    const before = api.memory().numTensors;
    // @ts-expect-error: keepDims is a boolean now
    expect(() => variance(x, 0, { keepDims: true })).toThrow(ArgumentError);
    // @ts-expect-error: keepDims is a boolean now
    expect(() => x.std(0, { keepDims: true })).toThrow(/std: keepDims must be a boolean/);
    // @ts-expect-error: not an option
    expect(() => variance(x, 0, false, { ddof: 1 })).toThrow(/variance: unknown option 'ddof' \(known: correction\)/);
    expect(api.memory().numTensors).toBe(before);
    x.dispose();
  });
});
