import type { Backend } from '../backend';
import { dispatch, wrap } from '../engine';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors';
import { lowerings } from '../lowerings/index';
import { describeValue, shapesEqual } from '../shape';
import type { Tensor } from '../tensor';
import { tensorArg } from './internal';
import { checkOptions } from './options';
import { reshape } from './shape';
import { unrecorded } from './unrecorded';

/**
 * Layer normalization as one op: one backend kernel forward and one backward where the
 * backend has `layerNorm` / `layerNormGrad` (the CPU: wasm SIMD rows, statistics summed
 * in float64), else their lowerings (row means and elementwise ops,
 * lowerings/layer-norm.ts), recorded once either way, with its own gradient rule. The
 * backward recomputes each row's mean and 1/√(σ² + ε) from x rather than saving them:
 * a row is in cache for the kernel anyway, and the op keeps one output.
 */

const OPTIONS = ['gamma', 'beta', 'epsilon'];

/** The positive sizes of `normalizedShape`, or an ArgumentError naming it. */
function shapeArg(normalizedShape: unknown): number[] {
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new ArgumentError(
      `layerNorm: normalizedShape must be a positive integer or a non-empty list of them, got ${describeValue(normalizedShape)}`,
    );
  }
  return shape as number[];
}

/** gamma or beta: absent, or a float32 tensor of exactly normalizedShape. */
function affineArg(t: unknown, name: 'gamma' | 'beta', shape: readonly number[]): Tensor | null {
  if (t === undefined || t === null) return null;
  const w = tensorArg('layerNorm', t, 3, `options.${name}`);
  if (w.dtype !== 'float32') throw new DTypeError(`layerNorm: ${name} must be float32, got ${w.dtype}`);
  if (!shapesEqual(w.shape, shape)) {
    throw new ShapeError(
      `layerNorm: ${name} of shape ${fmtShape(w.shape)} does not match normalizedShape ${fmtShape(shape)}`,
    );
  }
  return w;
}

/**
 * Normalizes x over its trailing axes `normalizedShape`: each block (x − mean) / √(var + epsilon),
 * with the block's mean and biased variance, then times `gamma` and plus `beta` where given (both
 * of shape normalizedShape). PyTorch's `F.layer_norm` (epsilon 1e-5 by default, as there); Keras'
 * LayerNormalization over trailing axes with its epsilon. x must be float32.
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  options: { gamma?: Tensor | null; beta?: Tensor | null; epsilon?: number } = {},
): Tensor {
  const op = 'layerNorm';
  tensorArg(op, x, 1, 'x');
  checkOptions(op, options, OPTIONS);
  const shape = shapeArg(normalizedShape);
  if (x.dtype !== 'float32') throw new DTypeError(`${op}: x must be float32, got ${x.dtype}`);
  const k = shape.length;
  if (x.rank < k || !shapesEqual(x.shape.slice(x.rank - k), shape)) {
    throw new ShapeError(`${op}: x of shape ${fmtShape(x.shape)} does not end in normalizedShape ${fmtShape(shape)}`);
  }
  const epsilon = options.epsilon ?? 1e-5;
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
    throw new ArgumentError(`${op}: epsilon must be a finite number >= 0, got ${String(epsilon)}`);
  }
  const gamma = affineArg(options.gamma, 'gamma', shape);
  const beta = affineArg(options.beta, 'beta', shape);
  const size = shape.reduce((a, b) => a * b, 1);
  const rows = x.size / size;
  const inputs = [x];
  if (gamma) inputs.push(gamma);
  if (beta) inputs.push(beta);
  const attrs = { size, epsilon, gamma: gamma !== null, beta: beta !== null };
  return dispatch(op, inputs, attrs, (backend) =>
    unrecorded(() => {
      const x2 = reshape(x, [rows, size]);
      const g = gamma && reshape(gamma, [size]);
      const b = beta && reshape(beta, [size]);
      if (backend.layerNorm) {
        return wrap(
          backend,
          backend.layerNorm(x2.view(), g?.view() ?? null, b?.view() ?? null, epsilon),
          x.shape,
          'float32',
        );
      }
      return reshape(lowerings.layerNorm(x2, g, b, epsilon), x.shape);
    }),
  );
}

/**
 * layerNorm's gradient over rows: x and dy float32 [N, D], gamma [D] or null →
 * [dx [N, D], dgamma [D], dbeta [D]] (used by autograd; not itself differentiable).
 */
export function layerNormGrad(x: Tensor, gamma: Tensor | null, dy: Tensor, epsilon: number): Tensor[] {
  const op = 'layerNormGrad';
  if (x.rank !== 2 || x.dtype !== 'float32') {
    throw new ShapeError(`${op}: x must be float32 [N, D], got ${x.dtype} of shape ${fmtShape(x.shape)}`);
  }
  const [, d] = x.shape;
  if (dy.dtype !== 'float32' || !shapesEqual(dy.shape, x.shape)) {
    throw new ShapeError(
      `${op}: dy must be float32 ${fmtShape(x.shape)}, got ${dy.dtype} of shape ${fmtShape(dy.shape)}`,
    );
  }
  if (gamma !== null && (gamma.dtype !== 'float32' || !shapesEqual(gamma.shape, [d]))) {
    throw new ShapeError(`${op}: gamma must be float32 [${d}], got ${gamma.dtype} of shape ${fmtShape(gamma.shape)}`);
  }
  const inputs = gamma ? [x, gamma, dy] : [x, dy];
  return dispatch(op, inputs, { epsilon }, (backend: Backend) => {
    if (!backend.layerNormGrad) return lowerings.layerNormGrad(x, gamma, dy, epsilon);
    const ids = backend.layerNormGrad(x.view(), gamma?.view() ?? null, dy.view(), epsilon);
    return [
      wrap(backend, ids[0], x.shape, 'float32'),
      wrap(backend, ids[1], [d], 'float32'),
      wrap(backend, ids[2], [d], 'float32'),
    ];
  });
}
