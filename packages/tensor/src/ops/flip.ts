import { dispatch, view } from '../engine';
import { normalizeAxes } from '../shape';
import type { Tensor } from '../tensor';
import { tensor } from './creation';
import { gather } from './shape';
import { unrecorded } from './unrecorded';

/**
 * Reverses the order of elements along `axes` (all axes when omitted, as
 * NumPy's flip; PyTorch's torch.flip(x, dims), TensorFlow's tf.reverse): a
 * go-backwards RNN reads its sequence through it. Views cannot step backwards
 * (strides are non-negative), so each flipped axis of size > 1 is one gather
 * with reversed indices, a copy. Recorded as one op: its gradient is the flip
 * of the cotangent.
 */
export function flip(x: Tensor, axes?: number | readonly number[]): Tensor {
  const ax = normalizeAxes('flip', axes, x.rank);
  return dispatch('flip', [x], { axes: ax }, (backend) =>
    unrecorded(() => {
      let y = x;
      for (const a of ax) {
        const n = x.shape[a];
        if (n <= 1) continue;
        const reversed = new Int32Array(n);
        for (let i = 0; i < n; i++) reversed[i] = n - 1 - i;
        y = gather(y, tensor(reversed, [n], 'int32', { backend }), a);
      }
      return y === x ? view(x, x.shape, x.strides, x.offset) : y;
    }),
  );
}
