import {
  ArgumentError,
  DTypeError,
  ShapeError,
  Tensor,
  add,
  logicalNot,
  logicalOr,
  ones,
  reshape,
  triu,
  where,
} from '@tsdl/tensor';
import { fmtShape, shapesEqual } from '@tsdl/tensor/internal';

/**
 * nn.MultiheadAttention's masks, PyTorch's convention: a bool mask is true
 * where attention is NOT allowed (the opposite of scaledDotProductAttention's),
 * a float32 mask is added to the scores. This file checks them and folds them,
 * with the causal mask, into the single mask attentionWeights takes.
 */

/** Throws unless `m` is a bool or float32 Tensor of one of the `allowed` shapes; `names` say what the dimensions are. */
export function checkMask(
  owner: string,
  what: string,
  m: unknown,
  allowed: readonly (readonly number[])[],
  names: readonly string[],
): Tensor {
  if (!(m instanceof Tensor))
    throw new ArgumentError(`${owner}: ${what} must be a Tensor, got ${m === null ? 'null' : typeof m}`);
  m.assertAlive(`${owner} (${what})`);
  if (m.dtype !== 'bool' && m.dtype !== 'float32') {
    throw new DTypeError(
      `${owner}: ${what} must be bool (true = not allowed) or float32 (added to the scores), got ${m.dtype} of shape ${fmtShape(m.shape)}`,
    );
  }
  if (!allowed.some((s) => shapesEqual(s, m.shape))) {
    const want = allowed.map((s, i) => `${fmtShape(s)} (${names[i]})`).join(' or ');
    throw new ShapeError(`${owner}: ${what} has shape ${fmtShape(m.shape)}, expected ${want}`);
  }
  return m;
}

/**
 * One mask for attentionWeights over scores [N, H, L, S]: `parts` are masks in
 * MultiheadAttention's convention, each already shaped to broadcast there.
 * All bool: one bool "allowed" mask (not any blocked). Any float: the sum of
 * the float masks and −Infinity where a bool one blocks. undefined when there are none.
 * Call inside tidy.
 */
export function foldMasks(parts: readonly Tensor[]): Tensor | undefined {
  if (parts.length === 0) return undefined;
  if (parts.every((p) => p.dtype === 'bool')) {
    let blocked = parts[0];
    for (const p of parts.slice(1)) blocked = logicalOr(blocked, p);
    return logicalNot(blocked);
  }
  let bias: Tensor | null = null;
  for (const p of parts) {
    const f = p.dtype === 'bool' ? where(p, -Infinity, 0) : p;
    bias = bias === null ? f : add(bias, f);
  }
  return bias as Tensor;
}

/** The causal mask in MultiheadAttention's convention: true above the diagonal (key j > query i is blocked). Call inside tidy. */
export function causalBlocked(L: number, S: number, like: Tensor): Tensor {
  return triu(ones([L, S], 'bool', { backend: like.backend }), 1);
}

/** A [N·H, L, S] mask (PyTorch's batch-major order of heads) as [N, H, L, S]. */
export function perHead(m: Tensor, n: number, h: number): Tensor {
  return reshape(m, [n, h, m.shape[1], m.shape[2]]);
}
