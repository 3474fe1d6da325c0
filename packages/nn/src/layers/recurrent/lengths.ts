import { ArgumentError, type Backend, ShapeError, Tensor, tensor, unstack } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';

/**
 * Variable-length batches (PyTorch's pack_padded_sequence). Sequence b is
 * real for steps t < lengths[b]; after that its state is held and its output
 * is 0, so the forward direction ends, and the reverse direction starts, at
 * its last real step.
 */

/** Checks `lengths` against the batch: one integer in [1, seq] per sequence. */
export function checkLengths(owner: string, lengths: unknown, batch: number, seq: number): number[] {
  if (!Array.isArray(lengths) && !(ArrayBuffer.isView(lengths) && !(lengths instanceof DataView))) {
    // A Tensor of lengths would need a read from the device before the loop can be planned.
    const got =
      lengths instanceof Tensor
        ? `a Tensor of shape ${fmtShape(lengths.shape)} (pass its values, e.g. Array.from(await t.data()))`
        : lengths === null
          ? 'null'
          : typeof lengths;
    throw new ArgumentError(`${owner}: lengths must be an array of integers, got ${got}`);
  }
  const list = Array.from(lengths as ArrayLike<number>);
  if (list.length !== batch) {
    throw new ShapeError(`${owner}: got ${list.length} lengths for a batch of ${batch} sequences`);
  }
  list.forEach((n, b) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > seq) {
      throw new ArgumentError(
        `${owner}: lengths[${b}] is ${String(n)}, but lengths must be integers in [1, ${seq}] (the input has ${seq} steps)`,
      );
    }
  });
  return list;
}

/**
 * For each step, a [batch, 1] bool mask of the sequences still running, or
 * null where all are (every step before the shortest sequence ends: no
 * masking work there). The masks are views of one tensor, written once.
 */
export function stepMasks(lengths: readonly number[], seq: number, backend: Backend): (Tensor | null)[] {
  const shortest = Math.min(...lengths);
  const out: (Tensor | null)[] = new Array<Tensor | null>(seq).fill(null);
  if (shortest >= seq) return out;
  const B = lengths.length;
  const values = new Uint8Array((seq - shortest) * B);
  for (let t = shortest; t < seq; t++)
    for (let b = 0; b < B; b++) values[(t - shortest) * B + b] = t < lengths[b] ? 1 : 0;
  const all = tensor(values, [seq - shortest, B, 1], 'bool', { backend });
  unstack(all).forEach((m, i) => (out[shortest + i] = m));
  all.dispose();
  return out;
}

/**
 * The running sequences as one [batch, seq] bool mask (what the fused sequence ops take), or
 * null where every sequence runs every step.
 */
export function sequenceMask(lengths: readonly number[], seq: number, backend: Backend): Tensor | null {
  if (Math.min(...lengths) >= seq) return null;
  const B = lengths.length;
  const values = new Uint8Array(B * seq);
  for (let b = 0; b < B; b++) values.fill(1, b * seq, b * seq + lengths[b]);
  return tensor(values, [B, seq], 'bool', { backend });
}
