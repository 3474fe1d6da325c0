import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  reshape,
  tidy,
  transpose,
} from '@tsdl/tensor';
import { randomUniform } from '@tsdl/tensor/backend';
import { fmtShape, nextKey } from '@tsdl/tensor/internal';
import { quote } from '../../names';
import { type LayerArgs, Layer, type PartialShape, fmtKerasShape } from '../layer';
import { type KerasDataFormat, dataFormat } from '../layer-config';
import { optionalSeed } from '../options';
import { SeedSequence } from '../seed-sequence';

/** The options every random image layer takes. */
export interface RandomImageArgs extends LayerArgs {
  /** Seed of the random draws (each call draws anew; a seeded layer repeats its sequence). */
  seed?: number;
  /** 'channels_last' (default: [batch, h, w, c]) or 'channels_first'. */
  dataFormat?: KerasDataFormat;
}

export const RANDOM_IMAGE_OPTIONS = ['seed', 'dataFormat'];

/**
 * What Keras' image augmentation layers share: they act in training only (`layer.train()`,
 * as fit sets; a new layer trains, PyTorch's default) and are the identity in inference;
 * they take a batch [batch, h, w, c] or one image [h, w, c] (channels first with
 * dataFormat 'channels_first'); their random numbers are drawn on the host from tsdl's
 * counter-based generator (seeded: the same sequence as a seeded `rand`), a few per image.
 */
export abstract class RandomImageLayer extends Layer {
  readonly dataFormat: KerasDataFormat;
  protected readonly seeds: SeedSequence;

  protected constructor(args: RandomImageArgs) {
    super(args);
    this.dataFormat = dataFormat(this.label, args.dataFormat);
    this.seeds = new SeedSequence(optionalSeed(this.label, args.seed));
    this.built = true;
  }

  /** The augmentation of channels-last images [batch, h, w, c] (float32), in training. */
  protected abstract augment(x: Tensor): Tensor;

  /** The output size [h, w] for an input size (null: unknown, as Keras' RandomWidth); the default keeps it. */
  protected outputSize(h: number | null, w: number | null): [number | null, number | null] {
    return [h, w];
  }

  /** What inference returns (default: the input itself). */
  protected infer(x: Tensor): Tensor {
    return x;
  }

  /** `n` uniform numbers in [lo, hi) from this layer's next seed. */
  protected uniform(n: number, lo = 0, hi = 1): number[] {
    const key = nextKey(this.seeds.take());
    return Array.from({ length: n }, (_, i) => lo + (hi - lo) * randomUniform(key, i));
  }

  private axes(rank: number): { h: number; w: number } {
    const first = this.dataFormat === 'channels_first';
    return rank === 4 ? (first ? { h: 2, w: 3 } : { h: 1, w: 2 }) : first ? { h: 1, w: 2 } : { h: 0, w: 1 };
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    if (s.length !== 4 && s.length !== 3) {
      throw new ShapeError(
        `${this.label}: expects images [batch, height, width, channels] (or one image without the batch axis), got shape ${fmtKerasShape(s)}`,
      );
    }
    const { h, w } = this.axes(s.length);
    const [oh, ow] = this.outputSize(s[h], s[w]);
    const out = [...s];
    out[h] = oh;
    out[w] = ow;
    return out;
  }

  override forward(x: Tensor): Tensor {
    if (!(x instanceof TensorClass)) throw new ArgumentError(`${this.label}: input must be a Tensor, got ${quote(x)}`);
    x.assertAlive(this.label);
    if (x.rank !== 4 && x.rank !== 3) {
      throw new ShapeError(
        `${this.label}: expects images [batch, height, width, channels] (or one image without the batch axis), got shape ${fmtShape(x.shape)}`,
      );
    }
    if (x.dtype !== 'float32')
      throw new DTypeError(`${this.label}: expects float32 images, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
    const train = this.training;
    return tidy(() => {
      let y = x.rank === 3 ? reshape(x, [1, ...x.shape]) : x;
      if (this.dataFormat === 'channels_first') y = transpose(y, [0, 2, 3, 1]);
      y = train ? this.augment(y) : this.infer(y);
      if (y === x) return x;
      if (this.dataFormat === 'channels_first') y = transpose(y, [0, 3, 1, 2]);
      return x.rank === 3 ? reshape(y, y.shape.slice(1)) : y;
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), seed: this.seeds.seed ?? null, dataFormat: this.dataFormat };
  }
}

/**
 * A Keras factor as [lower, upper]: a number f is [−f, f] (or [f, f] when `symmetric` is
 * false; with `abs`, [−|f|, |f|], and a pair is sorted, as Keras 3's base _set_factor); a
 * pair is [lower, upper] with lower <= upper; both within [min, max].
 */
export function factorRange(
  layer: string,
  option: string,
  v: unknown,
  o: { symmetric?: boolean; abs?: boolean; min: number; max: number },
): [number, number] {
  const num = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
  let r: [number, number];
  if (num(v)) r = o.abs ? [-Math.abs(v), Math.abs(v)] : o.symmetric === false ? [v, v] : [-v, v];
  else if (Array.isArray(v) && v.length === 2 && num(v[0]) && num(v[1]))
    r = o.abs ? [Math.min(v[0], v[1]), Math.max(v[0], v[1])] : [v[0], v[1]];
  else throw new ArgumentError(`${layer}: ${option} must be a number or a pair [lower, upper], got ${quote(v)}`);
  if (r[0] > r[1]) throw new ArgumentError(`${layer}: ${option} ${quote(v)} gives lower ${r[0]} > upper ${r[1]}`);
  if (r[0] < o.min || r[1] > o.max)
    throw new ArgumentError(`${layer}: ${option} ${quote(v)} must lie within [${o.min}, ${o.max}]`);
  return r;
}

/** Keras' value_range: [low, high] with low < high (default [0, 255]). */
export function valueRange(layer: string, v: unknown): [number, number] {
  if (v === undefined || v === null) return [0, 255];
  if (Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number' && Number.isFinite(n)) && v[0] < v[1])
    return [v[0], v[1]];
  throw new ArgumentError(`${layer}: valueRange must be a pair [low, high] with low < high, got ${quote(v)}`);
}
