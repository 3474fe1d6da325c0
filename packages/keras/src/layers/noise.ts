import { ArgumentError, ShapeError, type Tensor, ge, rand, randn, tidy, where } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer } from './layer';
import { layerOptions } from './layer-config';
import { numberIn, optionalSeed } from './options';
import { SeedSequence } from './seed-sequence';

/**
 * Keras' noise layers: active only in training (`layer.train()`, as fit sets),
 * the identity in inference. Each element is perturbed alone, so a padding
 * mask passes through (Keras' supports_masking).
 */
abstract class NoiseLayer extends Layer {
  protected readonly seeds: SeedSequence;
  protected constructor(args: LayerArgs & { seed?: number }) {
    super(args);
    this.seeds = new SeedSequence(optionalSeed(this.label, args.seed));
    this.built = true;
  }
  override get supportsMasking(): boolean {
    return true;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), seed: this.seeds.seed ?? null };
  }
}

export interface GaussianNoiseArgs extends LayerArgs {
  /** Standard deviation of the added noise, in [0, 1] as Keras 3 checks. */
  stddev: number;
  seed?: number;
}

/** Keras' GaussianNoise: adds N(0, stddev²) noise in training. */
export class GaussianNoise extends NoiseLayer {
  readonly stddev: number;

  constructor(config: GaussianNoiseArgs | number) {
    const a =
      typeof config === 'number'
        ? { stddev: config }
        : layerOptions(
            'GaussianNoise',
            config,
            'stddev or an options object ({ stddev, seed })',
            [...LAYER_OPTIONS, 'stddev', 'seed'],
            new.target === GaussianNoise,
          );
    super(a);
    this.stddev = numberIn(this.label, 'stddev', a.stddev, 0, 1);
  }

  override get className(): string {
    return 'GaussianNoise';
  }

  override forward(x: Tensor): Tensor {
    if (!this.training || this.stddev === 0) return x;
    const seed = this.seeds.take();
    return tidy(() => x.add(randn(x.shape, { std: this.stddev, seed, backend: x.backend })));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), stddev: this.stddev };
  }
}

export interface GaussianDropoutArgs extends LayerArgs {
  /** Drop probability, in [0, 1): the multiplicative noise is N(1, rate / (1 − rate)). */
  rate: number;
  seed?: number;
}

/** Keras' GaussianDropout: multiplies by N(1, rate / (1 − rate)) noise in training. */
export class GaussianDropout extends NoiseLayer {
  readonly rate: number;

  constructor(config: GaussianDropoutArgs | number) {
    const a =
      typeof config === 'number'
        ? { rate: config }
        : layerOptions(
            'GaussianDropout',
            config,
            'a rate or an options object ({ rate, seed })',
            [...LAYER_OPTIONS, 'rate', 'seed'],
            new.target === GaussianDropout,
          );
    super(a);
    // Keras accepts 1 and then divides by zero at the first training call.
    this.rate = numberIn(this.label, 'rate', a.rate, 0, 1, true);
  }

  override get className(): string {
    return 'GaussianDropout';
  }

  override forward(x: Tensor): Tensor {
    if (!this.training || this.rate === 0) return x;
    const seed = this.seeds.take();
    const std = Math.sqrt(this.rate / (1 - this.rate));
    return tidy(() => x.mul(randn(x.shape, { mean: 1, std, seed, backend: x.backend })));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate };
  }
}

export interface AlphaDropoutArgs extends LayerArgs {
  /** Drop probability, in [0, 1). */
  rate: number;
  /** Shape of the drop mask, broadcast against the input; null entries take the input's size (e.g. [null, 1, null]: one mask for every time step). */
  noiseShape?: (number | null)[] | null;
  seed?: number;
}

// SELU's constants, as Keras writes them.
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/**
 * Keras' AlphaDropout: in training, sets dropped inputs to SELU's negative
 * saturation −alpha·scale and applies the affine map a·x + b that keeps the
 * mean and variance of unit-normal inputs (the self-normalising property).
 */
export class AlphaDropout extends NoiseLayer {
  readonly rate: number;
  readonly noiseShape: (number | null)[] | null;

  constructor(config: AlphaDropoutArgs | number) {
    const a =
      typeof config === 'number'
        ? { rate: config }
        : layerOptions(
            'AlphaDropout',
            config,
            'a rate or an options object ({ rate, noiseShape, seed })',
            [...LAYER_OPTIONS, 'rate', 'noiseShape', 'seed'],
            new.target === AlphaDropout,
          );
    super(a);
    this.rate = numberIn(this.label, 'rate', a.rate, 0, 1, true);
    const ns: unknown = (a as AlphaDropoutArgs).noiseShape ?? null;
    if (
      ns !== null &&
      (!Array.isArray(ns) ||
        !ns.every((d) => d === null || (typeof d === 'number' && Number.isSafeInteger(d) && d > 0)))
    ) {
      throw new ArgumentError(
        `${this.label}: noiseShape must be a list of positive integers or nulls (batch included), got ${quote(ns)}`,
      );
    }
    this.noiseShape = ns === null ? null : [...ns];
  }

  override get className(): string {
    return 'AlphaDropout';
  }

  private concreteNoiseShape(x: Tensor): number[] {
    if (this.noiseShape === null) return [...x.shape];
    const s = this.noiseShape.map((d, i) => d ?? x.shape[i]);
    if (s.length !== x.rank || s.some((d, i) => d !== 1 && d !== x.shape[i])) {
      throw new ShapeError(
        `${this.label}: noiseShape ${quote(this.noiseShape)} does not broadcast against the input of shape ${fmtShape(x.shape)} (each entry must be 1, null or the input's size)`,
      );
    }
    return s;
  }

  override forward(x: Tensor): Tensor {
    if (!this.training || this.rate === 0) return x;
    const shape = this.concreteNoiseShape(x);
    const seed = this.seeds.take();
    const p = this.rate;
    const alphaP = -SELU_ALPHA * SELU_SCALE;
    const a = ((1 - p) * (1 + p * alphaP * alphaP)) ** -0.5;
    const b = -a * alphaP * p;
    return tidy(() => {
      const kept = ge(rand(shape, { seed, backend: x.backend }), p);
      return where(kept, x, alphaP).mul(a).add(b);
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, noiseShape: this.noiseShape };
  }
}
