/**
 * Elementwise work is described, not enumerated: a backend receives a small
 * expression tree over its inputs and scalar constants, compiles it once per
 * expression and layout, and caches the kernel. A new unary op, a fused
 * activation gradient or a whole optimizer update is then one expression.
 *
 * Values are numbers: bool inputs read as 0/1, and the kernel converts each
 * result to its output dtype (float32 rounding, int32 truncation, bool = != 0).
 */

export type UnaryOp =
  | 'neg'
  | 'abs'
  | 'exp'
  | 'expm1'
  | 'log'
  | 'log1p'
  | 'sqrt'
  | 'rsqrt'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'sigmoid'
  | 'sign'
  | 'floor'
  | 'ceil'
  | 'round' // half to even, as NumPy, PyTorch and TensorFlow
  | 'erf'
  | 'not'; // 1 where the value is 0, else 0

export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'max' // NaN-propagating, as torch.maximum
  | 'min'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'and'
  | 'or';

export const UNARY_OPS: readonly UnaryOp[] = [
  'neg',
  'abs',
  'exp',
  'expm1',
  'log',
  'log1p',
  'sqrt',
  'rsqrt',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'sign',
  'floor',
  'ceil',
  'round',
  'erf',
  'not',
];
export const BINARY_OPS: readonly BinaryOp[] = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'max',
  'min',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'and',
  'or',
];

export type Expr =
  | { readonly kind: 'input'; readonly index: number }
  | { readonly kind: 'const'; readonly value: number }
  /** A run-time number (a learning rate, a user's scalar operand): read from the spec's `scalars`, not baked into the kernel. */
  | { readonly kind: 'scalar'; readonly index: number }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly a: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly a: Expr; readonly b: Expr }
  | { readonly kind: 'where'; readonly cond: Expr; readonly a: Expr; readonly b: Expr };

/** Builders, so expressions read like the math: E.mul(E.sub(E.in(0), E.in(1)), E.c(2)). */
export const E = {
  in: (index: number): Expr => ({ kind: 'input', index }),
  c: (value: number): Expr => ({ kind: 'const', value }),
  s: (index: number): Expr => ({ kind: 'scalar', index }),
  u: (op: UnaryOp, a: Expr): Expr => ({ kind: 'unary', op, a }),
  b: (op: BinaryOp, a: Expr, b: Expr): Expr => ({ kind: 'binary', op, a, b }),
  where: (cond: Expr, a: Expr, b: Expr): Expr => ({ kind: 'where', cond, a, b }),
  add: (a: Expr, b: Expr): Expr => E.b('add', a, b),
  sub: (a: Expr, b: Expr): Expr => E.b('sub', a, b),
  mul: (a: Expr, b: Expr): Expr => E.b('mul', a, b),
  div: (a: Expr, b: Expr): Expr => E.b('div', a, b),
};

/**
 * A canonical text of an expression: equal expressions give equal keys, so
 * backends cache one compiled kernel per key. Constants are part of the key
 * (they are baked into the generated code).
 */
export function exprKey(e: Expr): string {
  switch (e.kind) {
    case 'input':
      return `$${e.index}`;
    case 'const':
      return Object.is(e.value, -0) ? '-0' : String(e.value);
    case 'scalar':
      return `#${e.index}`;
    case 'unary':
      return `${e.op}(${exprKey(e.a)})`;
    case 'binary':
      return `${e.op}(${exprKey(e.a)},${exprKey(e.b)})`;
    case 'where':
      return `where(${exprKey(e.cond)},${exprKey(e.a)},${exprKey(e.b)})`;
  }
}

/**
 * The value a run-time scalar (a JS-number operand) takes in a computation:
 * an int32 value as is, so integer arithmetic stays exact ("an integer keeps
 * an int32 tensor int32"), and any other number as float32 ("a fraction makes
 * it float32"), as PyTorch casts a Python float to the tensor's float32. So
 * `eq(t, 0.2)` is true where the float32 tensor t holds 0.2, on every backend.
 * (An integer beyond 2^24 in float32 arithmetic is the one case left exact
 * here that a GPU rounds.)
 */
export function scalarValue(v: number): number {
  return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? v : Math.fround(v);
}

/**
 * Evaluates an expression for one element; the reference semantics every
 * backend matches. Arithmetic is float64 (a backend may round intermediates to
 * float32); scalars enter as {@link scalarValue} says.
 */
export function evalExpr(e: Expr, inputs: readonly number[], scalars: readonly number[] = []): number {
  switch (e.kind) {
    case 'input':
      return inputs[e.index];
    case 'const':
      return e.value;
    case 'scalar':
      return scalarValue(scalars[e.index]);
    case 'unary':
      return UNARY_REF[e.op](evalExpr(e.a, inputs, scalars));
    case 'binary':
      return BINARY_REF[e.op](evalExpr(e.a, inputs, scalars), evalExpr(e.b, inputs, scalars));
    case 'where':
      return evalExpr(e.cond, inputs, scalars) !== 0 ? evalExpr(e.a, inputs, scalars) : evalExpr(e.b, inputs, scalars);
  }
}

/** Rounds half to even (banker's rounding). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, under
 * float32 resolution near 1), cheap enough to emit inline on every backend.
 */
export function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

export const UNARY_REF: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  abs: Math.abs,
  exp: Math.exp,
  expm1: Math.expm1,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x), // keeps 0, -0 and NaN
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  erf,
  not: (x) => (x === 0 ? 1 : 0),
};

export const BINARY_REF: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  max: Math.max,
  min: Math.min,
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  and: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  or: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
};
