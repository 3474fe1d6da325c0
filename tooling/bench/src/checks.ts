import { median } from './stats';
import type { Check, Column } from './types';

type Values = Partial<Record<Column, number>>;

/** The values agree when their spread (max − min) is at most abs + rel·|median|. Fewer than two values prove nothing and pass. */
export function agreement(what: string, values: Values, tol: { abs: number; rel: number }, why: string): Check {
  const xs = Object.values(values) as number[];
  if (xs.length < 2)
    return { what, values, ok: xs.every(Number.isFinite), detail: `${why}; one framework, nothing to compare` };
  const spread = Math.max(...xs) - Math.min(...xs);
  const limit = tol.abs + tol.rel * Math.abs(median(xs));
  return {
    what,
    values,
    ok: xs.every(Number.isFinite) && spread <= limit,
    detail: `${why}; spread ${spread.toPrecision(2)}, allowed ${limit.toPrecision(2)}`,
  };
}

/** Every value (an error measure) is finite and at most `max`. */
export function atMost(what: string, values: Values, max: number, why: string): Check {
  const xs = Object.values(values) as number[];
  return { what, values, ok: xs.every((x) => Number.isFinite(x) && x <= max), detail: `${why}; allowed ${max}` };
}
