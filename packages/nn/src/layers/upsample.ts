import { ArgumentError, ShapeError, type Tensor, gather, tensor, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { Module } from '../module';
import { checkOptionNames } from './recurrent/options';

export type UpsampleMode = 'nearest' | 'linear' | 'bilinear';

export interface UpsampleOptions {
  /** Output size of the spatial axes: one number for all, or one per axis. Give this or scaleFactor. */
  size?: number | readonly number[];
  /** Multiplier of the spatial sizes (output = ⌊input · scaleFactor⌋): one for all, or one per axis. */
  scaleFactor?: number | readonly number[];
  /** 'nearest' (default), 'linear' (3-D input [N, C, L]) or 'bilinear' (4-D input [N, C, H, W]). */
  mode?: UpsampleMode;
  /**
   * Linear modes only: map the corner pixels' centres onto each other (source = dst·(in − 1)/(out − 1))
   * rather than the corners of the image (source = (dst + ½)·scale − ½, PyTorch's default, false).
   */
  alignCorners?: boolean;
  /** With scaleFactor: map positions by in/out of the rounded output size instead of by 1/scaleFactor (default false). */
  recomputeScaleFactor?: boolean;
}

const OPTIONS = ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor'] as const;

/** A float32 operation as PyTorch's kernels do it in `float`. */
const f32 = Math.fround;

/**
 * Upsampling (or resampling) of the spatial axes with PyTorch's nn.Upsample
 * rules, so outputs and gradients match it, including non-integer scale
 * factors (which map positions by 1/scaleFactor, not in/out). Each axis is
 * resampled on its own: nearest is one gather of the source rows; linear is
 * two gathers blended by constant weights, so autograd gives the gradient.
 */
export class Upsample extends Module {
  readonly size: readonly number[] | null;
  readonly scaleFactor: readonly number[] | null;
  readonly mode: UpsampleMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean;

  constructor(options: UpsampleOptions = {}) {
    super();
    checkOptionNames('Upsample', options, OPTIONS);
    const { size, scaleFactor } = options;
    if ((size === undefined) === (scaleFactor === undefined)) {
      throw new ArgumentError(
        `Upsample: give exactly one of size and scaleFactor, got ${size === undefined ? 'neither' : 'both'}`,
      );
    }
    const list = (name: string, v: number | readonly number[], ok: (n: number) => boolean, what: string): number[] => {
      const l = typeof v === 'number' ? [v] : Array.isArray(v) ? [...v] : [];
      if (l.length === 0 || l.length > 2 || !l.every((n) => typeof n === 'number' && ok(n))) {
        throw new ArgumentError(
          `Upsample: ${name} must be ${what} or a list of one or two of them, got ${JSON.stringify(v)}`,
        );
      }
      return l;
    };
    this.size =
      size === undefined ? null : list('size', size, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
    this.scaleFactor =
      scaleFactor === undefined
        ? null
        : list('scaleFactor', scaleFactor, (n) => Number.isFinite(n) && n > 0, 'a positive number');
    const mode = options.mode ?? 'nearest';
    if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') {
      throw new ArgumentError(
        `Upsample: mode must be 'nearest', 'linear' or 'bilinear', got ${JSON.stringify(options.mode)}`,
      );
    }
    this.mode = mode;
    if (options.alignCorners !== undefined) {
      if (typeof options.alignCorners !== 'boolean')
        throw new ArgumentError(`Upsample: alignCorners must be a boolean, got ${String(options.alignCorners)}`);
      if (mode === 'nearest')
        throw new ArgumentError(
          "Upsample: alignCorners can only be set with the interpolating modes 'linear' and 'bilinear' (as PyTorch)",
        );
    }
    this.alignCorners = mode === 'nearest' ? null : (options.alignCorners ?? false);
    const recompute = options.recomputeScaleFactor ?? false;
    if (typeof recompute !== 'boolean')
      throw new ArgumentError(`Upsample: recomputeScaleFactor must be a boolean, got ${String(recompute)}`);
    this.recomputeScaleFactor = recompute;
  }

  /** Input [N, C, L] ('nearest', 'linear') or [N, C, H, W] ('nearest', 'bilinear'). */
  override forward(x: Tensor): Tensor {
    const spatial = x.rank - 2;
    const need = this.mode === 'linear' ? [1] : this.mode === 'bilinear' ? [2] : [1, 2];
    if (!need.includes(spatial)) {
      const shapes = need.map((s) => (s === 1 ? '[N, C, L]' : '[N, C, H, W]')).join(' or ');
      throw new ShapeError(`Upsample: mode '${this.mode}' needs input ${shapes}, got shape ${fmtShape(x.shape)}`);
    }
    const given = this.size ?? this.scaleFactor ?? [];
    if (given.length !== 1 && given.length !== spatial) {
      const name = this.size ? 'size' : 'scaleFactor';
      throw new ShapeError(
        `Upsample: ${name} [${given}] has ${given.length} values but input ${fmtShape(x.shape)} has ${spatial} spatial axes`,
      );
    }
    const per = (i: number): number => given[given.length === 1 ? 0 : i];
    const axes = Array.from({ length: spatial }, (_, i) => {
      const n = x.shape[2 + i];
      const out = this.size ? per(i) : Math.floor(n * per(i));
      if (out < 1)
        throw new ShapeError(`Upsample: scaleFactor ${per(i)} gives an empty axis for input ${fmtShape(x.shape)}`);
      // PyTorch maps by 1/scaleFactor when it was given (and not recomputed), else by in/out.
      const scale = this.scaleFactor && !this.recomputeScaleFactor ? f32(1 / per(i)) : f32(n / out);
      return { axis: 2 + i, n, out, scale };
    });
    return tidy(() => {
      let y = x;
      for (const a of axes) {
        if (a.n === a.out && (this.mode === 'nearest' || this.alignCorners || a.scale === 1)) continue;
        y = this.mode === 'nearest' ? this.nearest(y, a) : this.linear(y, a);
      }
      return y === x ? x.reshape(x.shape) : y;
    });
  }

  private nearest(x: Tensor, a: { axis: number; n: number; out: number; scale: number }): Tensor {
    const idx = new Int32Array(a.out);
    // PyTorch's nearest_idx: exact doubling is o >> 1 whatever the scale factor said.
    for (let o = 0; o < a.out; o++)
      idx[o] = a.out === 2 * a.n ? o >> 1 : Math.min(Math.floor(f32(o * a.scale)), a.n - 1);
    return gather(x, tensor(idx, [a.out], 'int32', { backend: x.backend }), a.axis);
  }

  private linear(x: Tensor, a: { axis: number; n: number; out: number; scale: number }): Tensor {
    const i0 = new Int32Array(a.out);
    const i1 = new Int32Array(a.out);
    const w0 = new Float32Array(a.out);
    const w1 = new Float32Array(a.out);
    const scale = this.alignCorners ? (a.out > 1 ? f32((a.n - 1) / (a.out - 1)) : 0) : a.scale;
    for (let o = 0; o < a.out; o++) {
      let src = this.alignCorners ? f32(scale * o) : f32(scale * (o + 0.5) - 0.5);
      if (src < 0) src = 0;
      const lo = Math.min(Math.floor(src), a.n - 1);
      i0[o] = lo;
      i1[o] = lo < a.n - 1 ? lo + 1 : lo;
      w1[o] = Math.min(Math.max(f32(src - lo), 0), 1);
      w0[o] = f32(1 - w1[o]);
    }
    // Weights shaped to broadcast along the resampled axis.
    const wShape = x.shape.map((d, i) => (i === a.axis ? a.out : 1));
    const b = { backend: x.backend };
    const lo = gather(x, tensor(i0, [a.out], 'int32', b), a.axis).mul(tensor(w0, wShape, 'float32', b));
    const hi = gather(x, tensor(i1, [a.out], 'int32', b), a.axis).mul(tensor(w1, wShape, 'float32', b));
    return lo.add(hi);
  }

  override extraRepr(): string {
    const what = this.size ? `size=[${this.size}]` : `scaleFactor=[${this.scaleFactor}]`;
    return `${what}, mode='${this.mode}'${this.alignCorners !== null ? `, alignCorners=${this.alignCorners}` : ''}`;
  }
}
