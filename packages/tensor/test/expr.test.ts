import { describe, expect, it } from 'vitest';
import {
  BINARY_OPS,
  BINARY_REF,
  E,
  UNARY_OPS,
  UNARY_REF,
  erf,
  evalExpr,
  exprKey,
  roundHalfEven,
  scalarValue,
  type Expr,
} from '../src/expr';

describe('exprKey', () => {
  it('is canonical text of the tree', () => {
    expect(exprKey(E.mul(E.sub(E.in(0), E.in(1)), E.c(2)))).toBe('mul(sub($0,$1),2)');
    expect(exprKey(E.where(E.b('gt', E.in(0), E.c(0)), E.in(0), E.s(0)))).toBe('where(gt($0,0),$0,#0)');
    expect(exprKey(E.u('exp', E.in(2)))).toBe('exp($2)');
  });
  it('equal trees built separately give equal keys', () => {
    const a = E.add(E.u('tanh', E.in(0)), E.c(0.5));
    const b = E.add(E.u('tanh', E.in(0)), E.c(0.5));
    expect(a).not.toBe(b);
    expect(exprKey(a)).toBe(exprKey(b));
  });
  it('distinguishes constants (baked in), scalars (run-time), inputs, -0 and 0, and operand order', () => {
    const keys = [
      E.add(E.in(0), E.c(1)),
      E.add(E.in(0), E.c(2)),
      E.add(E.in(0), E.s(0)),
      E.add(E.in(0), E.s(1)),
      E.add(E.in(0), E.in(1)),
      E.add(E.in(1), E.in(0)),
      E.add(E.in(0), E.c(0)),
      E.add(E.in(0), E.c(-0)),
      E.sub(E.in(0), E.c(1)),
    ].map(exprKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(exprKey(E.c(-0))).toBe('-0');
  });
});

describe('evalExpr reference semantics', () => {
  it('reads inputs, constants and scalars', () => {
    const e = E.add(E.mul(E.in(0), E.s(0)), E.add(E.in(1), E.c(10)));
    expect(evalExpr(e, [3, 4], [2])).toBe(3 * 2 + 4 + 10);
    expect(evalExpr(e, [3, 4], [-1])).toBe(11);
  });
  it('takes an int32-valued scalar exactly and any other scalar as float32', () => {
    const eq = E.b('eq', E.in(0), E.s(0));
    expect(evalExpr(eq, [Math.fround(0.2)], [0.2])).toBe(1);
    expect(evalExpr(E.sub(E.in(0), E.s(0)), [Math.fround(0.1)], [0.1])).toBe(0);
    expect(evalExpr(E.add(E.in(0), E.s(0)), [0], [16777217])).toBe(16777217);
    expect(evalExpr(E.s(0), [], [2 ** 40 + 1])).toBe(2 ** 40);
    expect(evalExpr(E.s(0), [], [1e39])).toBe(Infinity);
    expect(Object.is(evalExpr(E.s(0), [], [-0]), -0)).toBe(true);
    expect([0.2, 3, -2147483648, 2147483648, NaN].map(scalarValue)).toEqual([
      Math.fround(0.2),
      3,
      -2147483648,
      2147483648,
      NaN,
    ]);
  });
  it('where picks by non-zero condition, evaluating like the math', () => {
    const relu = E.where(E.b('gt', E.in(0), E.c(0)), E.in(0), E.c(0));
    expect(evalExpr(relu, [2.5])).toBe(2.5);
    expect(evalExpr(relu, [-2.5])).toBe(0);
    const pick = E.where(E.in(0), E.in(1), E.in(2));
    expect(evalExpr(pick, [0, 1, 2])).toBe(2);
    expect(evalExpr(pick, [-3, 1, 2])).toBe(1);
    expect(evalExpr(pick, [NaN, 1, 2])).toBe(1); // NaN is non-zero, hence true
  });

  const unaryCases: [string, number, number][] = [
    ['neg', 2, -2],
    ['abs', -3, 3],
    ['exp', 1, Math.E],
    ['expm1', 1e-10, 1.00000000005e-10],
    ['log', Math.E, 1],
    ['log1p', 1e-10, 9.9999999995e-11],
    ['sqrt', 9, 3],
    ['rsqrt', 4, 0.5],
    ['sin', Math.PI / 2, 1],
    ['cos', 0, 1],
    ['tanh', 0.5, 0.46211715726000974],
    ['sigmoid', 0, 0.5],
    ['sigmoid', 2, 0.8807970779778823],
    ['sign', -4, -1],
    ['sign', 4, 1],
    ['floor', -1.5, -2],
    ['ceil', -1.5, -1],
    ['round', 2.5, 2],
    ['round', 3.5, 4],
    ['not', 0, 1],
    ['not', 3, 0],
    ['not', NaN, 0],
  ];
  for (const [op, x, want] of unaryCases) {
    it(`${op}(${x}) = ${want}`, () => {
      expect(evalExpr(E.u(op as never, E.in(0)), [x])).toBeCloseTo(want, 14);
    });
  }
  it('sign keeps 0, -0 and NaN', () => {
    expect(Object.is(evalExpr(E.u('sign', E.in(0)), [-0]), -0)).toBe(true);
    expect(Object.is(evalExpr(E.u('sign', E.in(0)), [0]), 0)).toBe(true);
    expect(evalExpr(E.u('sign', E.in(0)), [NaN])).toBeNaN();
  });

  const binaryCases: [string, number, number, number][] = [
    ['add', 2, 3, 5],
    ['sub', 2, 3, -1],
    ['mul', 2, 3, 6],
    ['div', 1, 4, 0.25],
    ['div', 1, 0, Infinity],
    ['pow', 2, 10, 1024],
    ['pow', 4, 0.5, 2],
    ['max', 2, 3, 3],
    ['min', 2, 3, 2],
    ['eq', 2, 2, 1],
    ['eq', 2, 3, 0],
    ['ne', 2, 3, 1],
    ['lt', 2, 3, 1],
    ['le', 3, 3, 1],
    ['gt', 2, 3, 0],
    ['ge', 3, 3, 1],
    ['and', 2, 0, 0],
    ['and', 2, -1, 1],
    ['or', 0, 0, 0],
    ['or', 0, 5, 1],
  ];
  for (const [op, a, b, want] of binaryCases) {
    it(`${op}(${a}, ${b}) = ${want}`, () => {
      expect(evalExpr(E.b(op as never, E.in(0), E.in(1)), [a, b])).toBe(want);
    });
  }
  it('max and min propagate NaN (torch.maximum), comparisons with NaN are false except ne', () => {
    expect(evalExpr(E.b('max', E.in(0), E.in(1)), [NaN, 1])).toBeNaN();
    expect(evalExpr(E.b('min', E.in(0), E.in(1)), [1, NaN])).toBeNaN();
    for (const op of ['eq', 'lt', 'le', 'gt', 'ge'] as const)
      expect(evalExpr(E.b(op, E.in(0), E.in(1)), [NaN, NaN])).toBe(0);
    expect(evalExpr(E.b('ne', E.in(0), E.in(1)), [NaN, NaN])).toBe(1);
  });
  it('every listed op has a reference implementation', () => {
    for (const op of UNARY_OPS) expect(typeof UNARY_REF[op]).toBe('function');
    for (const op of BINARY_OPS) expect(typeof BINARY_REF[op]).toBe('function');
    expect(Object.keys(UNARY_REF).sort()).toEqual([...UNARY_OPS].sort());
    expect(Object.keys(BINARY_REF).sort()).toEqual([...BINARY_OPS].sort());
  });
  it('evaluates a nested expression (a gelu-tanh tree) like its closed form', () => {
    const X = E.in(0);
    const inner = E.mul(E.c(Math.sqrt(2 / Math.PI)), E.add(X, E.mul(E.c(0.044715), E.mul(X, E.mul(X, X)))));
    const gelu: Expr = E.mul(E.mul(E.c(0.5), X), E.add(E.c(1), E.u('tanh', inner)));
    for (const x of [-2, -0.5, 0, 0.7, 3]) {
      const want = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
      expect(evalExpr(gelu, [x])).toBeCloseTo(want, 14);
    }
  });
});

describe('roundHalfEven', () => {
  const cases: [number, number][] = [
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [3.5, 4],
    [-0.5, -0],
    [-1.5, -2],
    [-2.5, -2],
    [2.4, 2],
    [2.6, 3],
    [-2.6, -3],
    [7, 7],
    [1e20, 1e20],
  ];
  for (const [x, want] of cases) it(`${x} -> ${want}`, () => expect(roundHalfEven(x)).toBe(want));
  it('keeps NaN and infinities', () => {
    expect(roundHalfEven(NaN)).toBeNaN();
    expect(roundHalfEven(Infinity)).toBe(Infinity);
    expect(roundHalfEven(-Infinity)).toBe(-Infinity);
  });
});

describe('erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7)', () => {
  // Reference values: Python math.erf (double precision).
  const known: [number, number][] = [
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [-0.3, -0.3286267594591274],
    [3, 0.9999779095030014],
    [0, 0],
  ];
  for (const [x, want] of known) {
    it(`erf(${x}) = ${want}`, () => expect(Math.abs(erf(x) - want)).toBeLessThan(1.5e-7));
  }
  it('is odd and saturates', () => {
    for (const x of [0.1, 0.9, 1.7, 4]) expect(erf(-x)).toBe(-erf(x));
    expect(erf(10)).toBeCloseTo(1, 12);
    expect(erf(-Infinity)).toBe(-1);
  });
});
