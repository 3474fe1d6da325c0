import { ArgumentError, type Tensor, dropout } from '@tsdl/tensor';
import { Module } from '../module';

/** Options of the `Dropout` module (tensor's `DropoutOptions` are the `dropout` op's). */
export interface DropoutModuleOptions {
  /**
   * Seed of the first call's mask; each later call uses the next seed, so a
   * seeded Dropout gives a reproducible sequence of different masks. Without
   * it, masks come from the global generator (see tensor's `seed()`).
   */
  seed?: number;
}

/**
 * In training, zeroes each element with probability p and scales the rest by
 * 1 / (1 − p) (inverted dropout); in eval mode, the identity.
 */
export class Dropout extends Module {
  readonly p: number;
  private nextSeed: number | undefined;

  constructor(p = 0.5, options: DropoutModuleOptions = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ArgumentError(`Dropout: p must be in [0, 1], got ${p}`);
    this.p = p;
    this.nextSeed = options.seed;
  }

  override forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return dropout(x, this.p, { training: false });
    const seed = this.nextSeed;
    if (seed !== undefined) this.nextSeed = seed + 1;
    return dropout(x, this.p, { training: true, seed });
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
