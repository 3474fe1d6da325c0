import { ArgumentError, ShapeError, type Tensor, gather, tensor, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';

/**
 * How a convolution pads its input (PyTorch's `padding_mode`): 'zeros', or
 * the input's own values mirrored without the edge ('reflect', [2,1 | 0,1,2 | 1,0]),
 * repeated at the edge ('replicate', [0,0 | 0,1,2 | 2,2]) or wrapped around
 * ('circular', [1,2 | 0,1,2 | 0,1]).
 */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

const MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

export function paddingModeOption(owner: string, v: unknown): PaddingMode {
  if (v === undefined) return 'zeros';
  if (!MODES.includes(v as PaddingMode)) {
    throw new ArgumentError(
      `${owner}: paddingMode must be one of ${MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(v)}`,
    );
  }
  return v as PaddingMode;
}

/** Source index of each padded position i in [-before, n + after) of an axis of size n. */
function sourceIndices(mode: Exclude<PaddingMode, 'zeros'>, n: number, before: number, after: number): Int32Array {
  const out = new Int32Array(n + before + after);
  for (let k = 0; k < out.length; k++) {
    const i = k - before;
    if (mode === 'replicate') out[k] = Math.min(Math.max(i, 0), n - 1);
    else if (mode === 'circular') out[k] = ((i % n) + n) % n;
    else out[k] = i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
  }
  return out;
}

/**
 * Pads the trailing axes of x (pads[i] = [before, after] for axis rank − pads.length + i)
 * in `mode`. The non-zero modes are one gather per padded axis, so the gradient (a
 * scatter-add) sums what each input cell contributed to every copy of it. Sizes are
 * checked as PyTorch does: reflect needs pads < the axis, circular pads <= the axis.
 */
export function padSpatial(
  owner: string,
  x: Tensor,
  pads: readonly (readonly [number, number])[],
  mode: PaddingMode,
): Tensor {
  const lead = x.rank - pads.length;
  if (mode === 'zeros') {
    if (pads.every(([b, a]) => b === 0 && a === 0)) return x.reshape(x.shape);
    return x.pad([...new Array<[number, number]>(lead).fill([0, 0]), ...pads]);
  }
  pads.forEach(([b, a], i) => {
    const n = x.shape[lead + i];
    const limit = mode === 'reflect' ? n - 1 : mode === 'circular' ? n : Infinity;
    if (b > limit || a > limit || (mode === 'replicate' && n === 0 && b + a > 0)) {
      throw new ShapeError(
        `${owner}: ${mode} padding of ${b}+${a} on an axis of size ${n} (input shape ${fmtShape(x.shape)}); ` +
          `it must be ${mode === 'reflect' ? 'smaller than' : 'at most'} the axis size`,
      );
    }
  });
  return tidy(() => {
    let y = x;
    pads.forEach(([b, a], i) => {
      if (b === 0 && a === 0) return;
      const axis = lead + i;
      const idx = sourceIndices(mode, x.shape[axis], b, a);
      y = gather(y, tensor(idx, [idx.length], 'int32', { backend: x.backend }), axis);
    });
    return y === x ? x.reshape(x.shape) : y;
  });
}
