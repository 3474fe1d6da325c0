import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors';
import { tidy } from '../memory';
import { broadcastShapes, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { ones } from './creation';
import { add, mul, where } from './elementwise';
import { matmul } from './linalg';
import { dropout as dropoutOp, softmax } from './nn';
import { boolOption, checkOptions } from './options';
import { tensorArg } from './internal';
import { tril } from './triangular';

export interface AttentionWeightsOptions {
  /**
   * Which keys each query may see, broadcast against the scores [..., L, S]:
   * a bool mask is true where attention is allowed (PyTorch's
   * scaled_dot_product_attention convention; nn.MultiheadAttention's is the
   * opposite), a float32 mask is added to the scores (0 to keep, −Infinity
   * to block, anything else to bias).
   */
  mask?: Tensor;
  /** Query i sees keys 0..i only (a lower-triangular [L, S] mask, aligned top-left as PyTorch's). */
  isCausal?: boolean;
  /** The factor on q·kᵀ; 1/√E by default (E = the last axis of q). */
  scale?: number;
}

export interface ScaledDotProductAttentionOptions extends AttentionWeightsOptions {
  /** Dropout probability on the attention weights (default 0). Applied whenever > 0, as PyTorch's functional form. */
  dropout?: number;
  /** Seed of the dropout mask (the global generator by default). */
  seed?: number;
}

const WEIGHT_OPTIONS = ['mask', 'isCausal', 'scale'] as const;
const SDPA_OPTIONS = [...WEIGHT_OPTIONS, 'dropout', 'seed'] as const;

function checkFloat(op: string, t: Tensor, name: string): void {
  t.assertAlive(op);
  if (t.dtype !== 'float32')
    throw new DTypeError(`${op}: ${name} must be float32, got ${t.dtype} of shape ${fmtShape(t.shape)}`);
  if (t.rank < 2)
    throw new ShapeError(`${op}: ${name} must have rank >= 2 ([..., seq, features]), got shape ${fmtShape(t.shape)}`);
}

/**
 * Checks q and k (and the mask) and returns the scores' shape [...batch, L, S].
 * Every check runs before anything is allocated, so a bad call leaves memory as it was.
 */
function checkScores(op: string, q: Tensor, k: Tensor, options: AttentionWeightsOptions): number[] {
  checkFloat(op, q, 'query');
  checkFloat(op, k, 'key');
  const e = q.shape[q.rank - 1];
  if (k.shape[k.rank - 1] !== e) {
    throw new ShapeError(
      `${op}: query ${fmtShape(q.shape)} and key ${fmtShape(k.shape)} must end in the same embedding size (${e} vs ${k.shape[k.rank - 1]})`,
    );
  }
  let batch: number[];
  try {
    batch = broadcastShapes(op, q.shape.slice(0, -2), k.shape.slice(0, -2));
  } catch {
    throw new ShapeError(
      `${op}: the batch dimensions of query ${fmtShape(q.shape)} and key ${fmtShape(k.shape)} cannot be broadcast together`,
    );
  }
  const scores = [...batch, q.shape[q.rank - 2], k.shape[k.rank - 2]];
  const { mask } = options;
  if (options.isCausal === true && mask !== undefined) {
    // PyTorch refuses the pair too: a causal call with its own mask is ambiguous.
    throw new ArgumentError(`${op}: pass either mask or isCausal, not both (fold the causal mask into mask)`);
  }
  if (mask !== undefined) {
    if (!(mask instanceof Tensor))
      throw new ArgumentError(`${op}: mask must be a Tensor, got ${mask === null ? 'null' : typeof mask}`);
    mask.assertAlive(op);
    if (mask.dtype !== 'bool' && mask.dtype !== 'float32') {
      throw new DTypeError(
        `${op}: mask must be bool (true = attend) or float32 (added to the scores), got ${mask.dtype} of shape ${fmtShape(mask.shape)}`,
      );
    }
    let joint: number[] | null = null;
    try {
      joint = broadcastShapes(op, scores, mask.shape);
    } catch {
      joint = null;
    }
    if (joint === null || !shapesEqual(joint, scores)) {
      throw new ShapeError(
        `${op}: mask of shape ${fmtShape(mask.shape)} does not broadcast to the attention scores ${fmtShape(scores)} (query ${fmtShape(q.shape)}, key ${fmtShape(k.shape)})`,
      );
    }
  }
  if (options.scale !== undefined && (typeof options.scale !== 'number' || !Number.isFinite(options.scale))) {
    throw new ArgumentError(`${op}: scale must be a finite number, got ${String(options.scale)}`);
  }
  return scores;
}

/**
 * softmax(q·kᵀ·scale + mask) over the keys: the attention probabilities
 * [...batch, L, S] of queries [..., L, E] over keys [..., S, E], before any
 * dropout. `scaledDotProductAttention` multiplies them into the values; a
 * layer that also returns the weights (nn.MultiheadAttention) uses this.
 *
 * A row whose keys are all masked out is NaN, as PyTorch's reference
 * formula gives (softmax of all −Infinity); NaN then reaches the gradients
 * (scaledDotProductAttention's value gradient always, through a float mask
 * the query's and key's too, even where the loss ignores that row), so give
 * every query at least one key it may attend to.
 */
export function attentionWeights(q: Tensor, k: Tensor, options: AttentionWeightsOptions = {}): Tensor {
  const op = 'attentionWeights';
  tensorArg(op, q, 1, 'query');
  tensorArg(op, k, 2, 'key');
  checkOptions(op, options, WEIGHT_OPTIONS);
  checkScores(op, q, k, options);
  return weights(op, q, k, options);
}

function weights(op: string, q: Tensor, k: Tensor, options: AttentionWeightsOptions): Tensor {
  const isCausal = boolOption(op, 'isCausal', options.isCausal, false);
  const scale = options.scale ?? 1 / Math.sqrt(q.shape[q.rank - 1]);
  const { mask } = options;
  return tidy(() => {
    // Scaling the scores, not q, is PyTorch's reference order, so the rounding matches it.
    let s = mul(matmul(q, k, { transposeB: true }), scale);
    if (isCausal) {
      const L = q.shape[q.rank - 2];
      const S = k.shape[k.rank - 2];
      s = where(tril(ones([L, S], 'bool', { backend: q.backend })), s, -Infinity);
    }
    // A bool mask picks with where rather than adding −Infinity: no [L, S] float bias is made.
    if (mask !== undefined) s = mask.dtype === 'bool' ? where(mask, s, -Infinity) : add(s, mask);
    return softmax(s, -1);
  });
}

/**
 * Scaled dot-product attention, as PyTorch's
 * torch.nn.functional.scaled_dot_product_attention:
 * softmax(q·kᵀ·scale + mask) · v, with query [..., L, E], key [..., S, E] and
 * value [..., S, Ev] giving [..., L, Ev]; the batch dimensions (and the
 * mask) broadcast. Composed of matmul, where, add, softmax and dropout, so
 * it runs on every backend and differentiates with their rules.
 *
 * Options: `mask` (bool: true = attend; float32: added), `isCausal`
 * (lower-triangular; not together with mask), `dropout` (a probability on
 * the weights, applied whenever > 0, with `seed`), `scale` (default 1/√E).
 * A query whose keys are all masked gives NaN, as PyTorch's reference does.
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: ScaledDotProductAttentionOptions = {},
): Tensor {
  const op = 'scaledDotProductAttention';
  tensorArg(op, q, 1, 'query');
  tensorArg(op, k, 2, 'key');
  tensorArg(op, v, 3, 'value');
  checkOptions(op, options, SDPA_OPTIONS);
  const scores = checkScores(op, q, k, options);
  checkFloat(op, v, 'value');
  if (v.shape[v.rank - 2] !== k.shape[k.rank - 2]) {
    throw new ShapeError(
      `${op}: key ${fmtShape(k.shape)} and value ${fmtShape(v.shape)} must have the same sequence length (${k.shape[k.rank - 2]} vs ${v.shape[v.rank - 2]})`,
    );
  }
  try {
    broadcastShapes(op, scores.slice(0, -2), v.shape.slice(0, -2));
  } catch {
    throw new ShapeError(
      `${op}: the batch dimensions of query ${fmtShape(q.shape)}, key ${fmtShape(k.shape)} and value ${fmtShape(v.shape)} cannot be broadcast together`,
    );
  }
  const rate = options.dropout ?? 0;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))
    throw new ArgumentError(`${op}: dropout must be a probability in [0, 1], got ${String(rate)}`);
  boolOption(op, 'isCausal', options.isCausal, false);
  return tidy(() => {
    let p = weights(op, q, k, options);
    if (rate > 0) p = dropoutOp(p, rate, { seed: options.seed });
    return matmul(p, v);
  });
}
