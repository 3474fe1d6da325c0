import type { DType } from '../dtype';
import { arithmeticType, assertDType, promoteTypes, scalarType } from '../dtype';
import { dispatch, view } from '../engine';
import { ArgumentError, BackendError, ShapeError, fmtShape } from '../errors';
import type { BinaryOp, Expr, UnaryOp } from '../expr';
import { E } from '../expr';
import type { OpAttrs, OpName, PlainOpName } from '../op-names';
import { broadcastShapes, isContiguous, shapesEqual } from '../shape';
import type { Tensor, TensorLike } from '../tensor';
import { scalar } from './creation';
import { expNegSquare, normalCdfExpr } from './normal-cdf-expr';
import { checkSize, copyContiguous, numberArg, operand, runElementwise, tensorArg } from './internal';

/**
 * Elementwise ops. Each is one recorded op whose kernel is an expression, so
 * an activation and its gradient each cost one pass over memory. JS numbers
 * are passed to kernels as run-time scalars, not baked into them.
 */

type OutType = (a: DType, b: DType) => DType;
const ARITH: OutType = arithmeticType;
const FLOAT: OutType = () => 'float32';
const BOOL: OutType = () => 'bool';

/**
 * One binary op's three kernel forms (tensor∘scalar, scalar∘tensor,
 * tensor∘tensor), their expressions and cache tags built once per op, not per
 * call: small ops are dominated by per-call overhead.
 */
function binary(
  op: PlainOpName,
  bop: BinaryOp,
  outType: OutType,
): (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor {
  const ts = [E.b(bop, E.in(0), E.s(0))];
  const st = [E.b(bop, E.s(0), E.in(0))];
  const tt = [E.b(bop, E.in(0), E.in(1))];
  const tsTag = `${op}:ts`;
  const stTag = `${op}:st`;
  const ttTag = `${op}:tt`;
  return (aIn, bIn) => {
    let a = operand(op, aIn, 1, 'a');
    const b = operand(op, bIn, 2, 'b');
    if (typeof a === 'number' && typeof b === 'number') a = scalar(a);
    return dispatch(op, [a, b], undefined, (backend) => {
      if (typeof b === 'number') {
        const x = a as Tensor;
        const dt = outType(x.dtype, scalarType(b, x.dtype));
        return runElementwise(backend, ts, [x], [b], x.shape, [dt], tsTag)[0];
      }
      if (typeof a === 'number') {
        const dt = outType(scalarType(a, b.dtype), b.dtype);
        return runElementwise(backend, st, [b], [a], b.shape, [dt], stTag)[0];
      }
      const dt = outType(a.dtype, b.dtype);
      let shape = a.shape;
      if (!shapesEqual(a.shape, b.shape)) {
        shape = broadcastShapes(op, a.shape, b.shape);
        // Broadcasting is where a small input makes a huge output ([1e5, 1] + [1, 1e5]).
        checkSize(op, backend, shape, dt);
      }
      return runElementwise(backend, tt, [a, b], [], shape, [dt], ttTag)[0];
    });
  };
}

export const add: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('add', 'add', ARITH);
export const sub: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('sub', 'sub', ARITH);
export const mul: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('mul', 'mul', ARITH);
/** True division: always float32, as Python 3 and PyTorch. */
export const div: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('div', 'div', FLOAT);
export const pow: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('pow', 'pow', ARITH);
export const maximum: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('maximum', 'max', ARITH);
export const minimum: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('minimum', 'min', ARITH);
export const eq: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('eq', 'eq', BOOL);
export const ne: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('ne', 'ne', BOOL);
export const lt: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('lt', 'lt', BOOL);
export const le: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('le', 'le', BOOL);
export const gt: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('gt', 'gt', BOOL);
export const ge: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('ge', 'ge', BOOL);
/** Logical ops treat any non-zero value as true. */
export const logicalAnd: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary(
  'logicalAnd',
  'and',
  BOOL,
);
export const logicalOr: (a: TensorLike | boolean, b: TensorLike | boolean) => Tensor = binary('logicalOr', 'or', BOOL);

type UnaryType = (t: DType) => DType;
const SAME: UnaryType = (t) => t;
const TO_FLOAT: UnaryType = () => 'float32';
const LIFT_BOOL: UnaryType = (t) => (t === 'bool' ? 'int32' : t);

const X = E.in(0);

function unary<K extends OpName>(
  op: K,
  x: Tensor,
  expr: Expr,
  outType: UnaryType,
  scalars: readonly number[] = [],
  attrs?: OpAttrs[K],
): Tensor {
  tensorArg(op, x, 1, 'x');
  return dispatch(
    op,
    [x],
    attrs as OpAttrs[K],
    (backend) => runElementwise(backend, [expr], [x], scalars, x.shape, [outType(x.dtype)], op)[0],
  );
}

const u = (op: UnaryOp, a: Expr = X): Expr => E.u(op, a);

export const neg = (x: Tensor): Tensor => unary('neg', x, u('neg'), LIFT_BOOL);
export const abs = (x: Tensor): Tensor => unary('abs', x, u('abs'), LIFT_BOOL);
export const exp = (x: Tensor): Tensor => unary('exp', x, u('exp'), TO_FLOAT);
export const expm1 = (x: Tensor): Tensor => unary('expm1', x, u('expm1'), TO_FLOAT);
export const log = (x: Tensor): Tensor => unary('log', x, u('log'), TO_FLOAT);
export const log1p = (x: Tensor): Tensor => unary('log1p', x, u('log1p'), TO_FLOAT);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, u('sqrt'), TO_FLOAT);
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x, u('rsqrt'), TO_FLOAT);
export const square = (x: Tensor): Tensor => unary('square', x, E.mul(X, X), LIFT_BOOL);
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x, E.div(E.c(1), X), TO_FLOAT);
export const sin = (x: Tensor): Tensor => unary('sin', x, u('sin'), TO_FLOAT);
export const cos = (x: Tensor): Tensor => unary('cos', x, u('cos'), TO_FLOAT);
export const tanh = (x: Tensor): Tensor => unary('tanh', x, u('tanh'), TO_FLOAT);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x, u('sigmoid'), TO_FLOAT);
export const erf = (x: Tensor): Tensor => unary('erf', x, u('erf'), TO_FLOAT);
export const relu = (x: Tensor): Tensor => unary('relu', x, E.b('max', X, E.c(0)), LIFT_BOOL);
/** Not differentiable (zero almost everywhere): outputs do not require grad. */
export const sign = (x: Tensor): Tensor => unary('sign', x, u('sign'), SAME);
export const floor = (x: Tensor): Tensor => unary('floor', x, u('floor'), SAME);
export const ceil = (x: Tensor): Tensor => unary('ceil', x, u('ceil'), SAME);
/** Rounds half to even, as NumPy, PyTorch and TensorFlow. */
export const round = (x: Tensor): Tensor => unary('round', x, u('round'), SAME);
export const logicalNot = (x: Tensor): Tensor => unary('logicalNot', x, u('not'), () => 'bool');

/** x where x > 0, else alpha·x (PyTorch's default alpha 0.01; Keras' is 0.3). */
export function leakyRelu(x: Tensor, alpha = 0.01): Tensor {
  numberArg('leakyRelu', alpha, 'alpha');
  return unary('leakyRelu', x, E.where(E.b('gt', X, E.c(0)), X, E.mul(X, E.s(0))), TO_FLOAT, [alpha], { alpha });
}

/** x where x > 0, else alpha·(exp(x) − 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  numberArg('elu', alpha, 'alpha');
  return unary('elu', x, E.where(E.b('gt', X, E.c(0)), X, E.mul(E.s(0), u('expm1'))), TO_FLOAT, [alpha], { alpha });
}

/** log(1 + exp(x)), computed stably as max(x, 0) + log1p(exp(−|x|)). */
export function softplus(x: Tensor): Tensor {
  const expr = E.add(E.b('max', X, E.c(0)), u('log1p', u('exp', u('neg', u('abs')))));
  return unary('softplus', x, expr, TO_FLOAT);
}

/** GELU: exact x·Φ(x) by default (PyTorch's default), or the tanh approximation. */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new ArgumentError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  }
  const v = E.mul(X, E.c(Math.SQRT1_2));
  const expr =
    approximate === 'none'
      ? E.mul(X, normalCdfExpr(v, expNegSquare(v)))
      : E.mul(
          E.mul(E.c(0.5), X),
          E.add(
            E.c(1),
            u('tanh', E.mul(E.c(Math.sqrt(2 / Math.PI)), E.add(X, E.mul(E.c(0.044715), E.mul(X, E.mul(X, X)))))),
          ),
        );
  return unary(approximate === 'none' ? 'gelu' : 'geluTanh', x, expr, TO_FLOAT);
}

/** Clamps values into [min, max]. */
export function clip(x: Tensor, min: number, max: number): Tensor {
  numberArg('clip', min, 'min');
  numberArg('clip', max, 'max');
  if (!(min <= max)) throw new ArgumentError(`clip: min (${min}) must be <= max (${max})`);
  return unary('clip', x, E.b('min', E.b('max', X, E.s(0)), E.s(1)), SAME, [min, max], { min, max });
}

/** Elementwise choice: a where cond is true (non-zero), else b. Broadcasts all three. */
export function where(cond: Tensor, aIn: TensorLike | boolean, bIn: TensorLike | boolean): Tensor {
  tensorArg('where', cond, 1, 'cond');
  const a = operand('where', aIn, 2, 'a');
  const b = operand('where', bIn, 3, 'b');
  return dispatch('where', [cond, a, b], undefined, (backend) => {
    const tensors: Tensor[] = [cond];
    const scalars: number[] = [];
    const leaf = (v: TensorLike): Expr => {
      if (typeof v === 'number') {
        scalars.push(v);
        return E.s(scalars.length - 1);
      }
      tensors.push(v);
      return E.in(tensors.length - 1);
    };
    const ea = leaf(a);
    const eb = leaf(b);
    let shape: readonly number[] = cond.shape;
    for (const t of tensors.slice(1)) shape = broadcastShapes('where', shape, t.shape);
    const ta = typeof a === 'number' ? scalarType(a, typeof b === 'number' ? 'int32' : b.dtype) : a.dtype;
    const tb = typeof b === 'number' ? scalarType(b, ta) : b.dtype;
    const expr = E.where(E.in(0), ea, eb);
    const dt = promoteTypes(ta, tb);
    checkSize('where', backend, shape, dt);
    return runElementwise(backend, [expr], tensors, scalars, shape, [dt])[0];
  });
}

/** Converts to another dtype (float → int truncates toward zero; bool is value != 0). */
export function cast(x: Tensor, dtype: DType): Tensor {
  tensorArg('cast', x, 1, 'x');
  assertDType('cast', dtype);
  return dispatch('cast', [x], { dtype }, (backend) =>
    dtype === x.dtype
      ? view(x, x.shape, x.strides, x.offset)
      : runElementwise(backend, [X], [x], [], x.shape, [dtype], 'identity')[0],
  );
}

/** A contiguous (row-major, offset 0) copy; the same values, recorded for autograd. */
export function contiguous(x: Tensor): Tensor {
  tensorArg('contiguous', x, 1, 'x');
  return dispatch('contiguous', [x], undefined, () => copyContiguous(x));
}

/** A copy with its own storage. */
export function clone(x: Tensor): Tensor {
  tensorArg('clone', x, 1, 'x');
  return dispatch('clone', [x], undefined, () => copyContiguous(x));
}

/** Replaces target's values with value's (same shape, cast to target's dtype). Not recorded. */
export function assign(target: Tensor, value: Tensor): void {
  tensorArg('assign', target, 1, 'target');
  tensorArg('assign', value, 2, 'value');
  target.assertAlive('assign');
  value.assertAlive('assign');
  if (!shapesEqual(target.shape, value.shape)) {
    throw new ShapeError(
      `assign: value of shape ${fmtShape(value.shape)} cannot replace a tensor of shape ${fmtShape(target.shape)}`,
    );
  }
  if (value.backend !== target.backend) {
    throw new BackendError(
      `assign: value is on backend '${value.backend.name}' but the target is on '${target.backend.name}'`,
    );
  }
  // Tensors are immutable, so a dense value of the right dtype can simply be shared.
  const shareable =
    value.dtype === target.dtype &&
    value.offset === 0 &&
    value.storage.size === value.size &&
    isContiguous(value.shape, value.strides);
  const src = shareable ? value : copyContiguous(value, target.dtype);
  const storage = src.storage.retain();
  if (src !== value) src.dispose();
  target.replaceStorage(storage);
}
