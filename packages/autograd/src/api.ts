import { ArgumentError, GradientError, Tensor, tidy } from '@tsdl/tensor';
import { detach, setGradEnabled } from '@tsdl/tensor/internal';
import { runBackward } from './backward';

/** Runs `fn` without recording gradients (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = setGradEnabled(false);
  try {
    return fn();
  } finally {
    setGradEnabled(prev);
  }
}

/** Runs `fn` with recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  const prev = setGradEnabled(true);
  try {
    return fn();
  } finally {
    setGradEnabled(prev);
  }
}

/**
 * Gradients of a scalar `y` with respect to `xs` (leaves that require grad),
 * returned as new tensors; `.grad` of any tensor is left untouched (as
 * torch.autograd.grad). Leaves not reached get zeros.
 */
export function gradients(
  y: Tensor,
  xs: readonly Tensor[],
  seed?: Tensor,
  options: { retainGraph?: boolean } = {},
): Tensor[] {
  const wanted = new Set(xs);
  const found = new Map<Tensor, Tensor>();
  runBackward(y, seed, options, (leaf, g) => {
    if (wanted.has(leaf)) found.set(leaf, g);
    else g.dispose();
  });
  return xs.map((x) => {
    const g = found.get(x);
    if (g) return g;
    return x.mul(0);
  });
}

type Fn = (...args: any[]) => Tensor;

function checkArgnums(argnums: number | readonly number[], n: number): number[] {
  const list = typeof argnums === 'number' ? [argnums] : [...argnums];
  for (const i of list) {
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new ArgumentError(
        `grad: argnums ${JSON.stringify(argnums)} is out of range for a call with ${n} arguments`,
      );
    }
  }
  return list;
}

/**
 * JAX-style: returns a function that computes `f`'s scalar value and its
 * gradient with respect to the arguments in `argnums` (0 by default). A single
 * argnum gives a single gradient tensor; a list gives a list.
 */
export function valueAndGrad<F extends Fn>(
  f: F,
  argnums: number | readonly number[] = 0,
): (...args: Parameters<F>) => { value: Tensor; grads: Tensor | Tensor[] } {
  return (...args: Parameters<F>) => {
    const idx = checkArgnums(argnums, args.length);
    const prev = setGradEnabled(true);
    try {
      // f's intermediates are freed here; the value and the gradients go to the caller's scope.
      const { value, grads } = tidy(() => {
        const targets: Tensor[] = [];
        const callArgs = args.map((a, i) => {
          if (!idx.includes(i)) return a;
          if (!(a instanceof Tensor))
            throw new ArgumentError(`grad: argument ${i} must be a Tensor to differentiate with respect to it`);
          const leaf = detach(a);
          leaf.requiresGrad = true;
          targets[idx.indexOf(i)] = leaf;
          return leaf;
        });
        const out = f(...callArgs);
        if (!(out instanceof Tensor) || out.size !== 1) {
          throw new GradientError(
            `grad: the function must return a scalar Tensor, got ${out instanceof Tensor ? `shape [${out.shape.join(',')}]` : typeof out}`,
          );
        }
        const gs = out.requiresGrad ? gradients(out, targets) : targets.map((t) => t.mul(0));
        return { value: detach(out), grads: gs };
      });
      return { value, grads: typeof argnums === 'number' ? grads[0] : grads };
    } finally {
      setGradEnabled(prev);
    }
  };
}

/** JAX-style: returns a function computing the gradient of scalar `f` with respect to `argnums`. */
export function grad<F extends Fn>(
  f: F,
  argnums: number | readonly number[] = 0,
): (...args: Parameters<F>) => Tensor | Tensor[] {
  const vg = valueAndGrad(f, argnums);
  return (...args: Parameters<F>) => {
    const { value, grads } = vg(...args);
    value.dispose();
    return grads;
  };
}
