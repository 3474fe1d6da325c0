import { ArgumentError, type Tensor, Tensor as TensorClass, tensor, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import type { InitOptions } from './initializers';

/**
 * Initializers that make a layer start as the identity map: `eye` for a
 * Linear weight, `dirac` for a convolution filter (PyTorch's eye_ and
 * dirac_). Each comes as a creator (`(shape, options) => Tensor`, usable as
 * `weightInit`) and as PyTorch's in-place form that fills an existing tensor.
 */

function checkShape(op: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ArgumentError(`${op}: shape must be an array of integers >= 0, got ${JSON.stringify(shape)}`);
  }
}

/** The identity matrix of a 2-D shape [rows, cols] (ones on the main diagonal, zeros elsewhere). */
export function eye(shape: readonly number[], options: InitOptions = {}): Tensor {
  checkShape('init.eye', shape);
  if (shape.length !== 2)
    throw new ArgumentError(`init.eye: only 2-D shapes are supported, got ${JSON.stringify(shape)}`);
  const [rows, cols] = shape;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < Math.min(rows, cols); i++) out[i * cols + i] = 1;
  return tensor(out, shape, 'float32', { backend: options.backend });
}

export interface DiracOptions extends InitOptions {
  /** Channel groups of the convolution (default 1): each group's filters pass its own channels through. */
  groups?: number;
}

/**
 * A convolution filter that copies its input (as many channels as fit): for
 * each group g and channel d < min(out/groups, in), the tap at the kernel's
 * centre (index ⌊k/2⌋ on every axis) from input channel d to output channel
 * g·out/groups + d is 1. Shapes of 3 to 5 dimensions: [O, C/groups, k…] for
 * layout 'outIn' (PyTorch, the default) or [k…, C/groups, O] for 'inOut'.
 */
export function dirac(shape: readonly number[], options: DiracOptions = {}): Tensor {
  checkShape('init.dirac', shape);
  if (shape.length < 3 || shape.length > 5) {
    throw new ArgumentError(`init.dirac: only 3-, 4- and 5-D shapes are supported, got ${JSON.stringify(shape)}`);
  }
  const groups = options.groups ?? 1;
  const layout = options.layout ?? 'outIn';
  if (layout !== 'outIn' && layout !== 'inOut')
    throw new ArgumentError(`init.dirac: layout must be 'outIn' or 'inOut', got ${JSON.stringify(layout)}`);
  const r = shape.length;
  const [outC, inC] = layout === 'outIn' ? [shape[0], shape[1]] : [shape[r - 1], shape[r - 2]];
  const kernel = layout === 'outIn' ? shape.slice(2) : shape.slice(0, r - 2);
  if (!Number.isInteger(groups) || groups <= 0 || outC % groups !== 0) {
    throw new ArgumentError(
      `init.dirac: groups must be a positive integer dividing the ${outC} output channels, got ${String(groups)}`,
    );
  }
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const perGroup = outC / groups;
  const centre = kernel.map((k) => Math.floor(k / 2));
  for (let g = 0; g < groups; g++) {
    for (let d = 0; d < Math.min(perGroup, inC); d++) {
      const o = g * perGroup + d;
      const index = layout === 'outIn' ? [o, d, ...centre] : [...centre, d, o];
      out[index.reduce((s, v, i) => s + v * strides[i], 0)] = 1;
    }
  }
  return tensor(out, shape, 'float32', { backend: options.backend });
}

function fillInPlace(op: string, t: Tensor, make: () => Tensor): Tensor {
  if (!(t instanceof TensorClass)) throw new ArgumentError(`${op}: expected a Tensor, got ${String(t)}`);
  t.assertAlive(op);
  if (t.dtype !== 'float32')
    throw new ArgumentError(`${op}: the tensor must be float32, got ${t.dtype} of shape ${fmtShape(t.shape)}`);
  tidy(() => {
    t.assign(make());
  });
  return t;
}

/** Fills a 2-D tensor (a Linear weight, say) with the identity matrix in place and returns it (PyTorch's init.eye_). */
export function eye_(t: Tensor): Tensor {
  return fillInPlace('init.eye_', t, () => eye(t.shape, { backend: t.backend }));
}

/** Fills a 3- to 5-D PyTorch-layout filter [O, C/groups, k…] with the Dirac delta in place and returns it (PyTorch's init.dirac_). */
export function dirac_(t: Tensor, groups = 1): Tensor {
  return fillInPlace('init.dirac_', t, () => dirac(t.shape, { groups, backend: t.backend }));
}
