import { ArgumentError, ShapeError, type Tensor, mean, reshape, rsqrt, tidy, variance } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { integer, layerOptions } from './layer-config';
import { initializerOption } from './conv-args';
import { finiteNonNegative, optionalBool } from './options';

export interface GroupNormalizationArgs extends LayerArgs {
  /** Groups the channels split into (default 32); -1: one group per channel (instance normalisation). Must divide the channels. */
  groups?: number;
  /** The channel axis (default -1). */
  axis?: number;
  /** Added to the variance under the square root (default 1e-3). */
  epsilon?: number;
  /** Learn a shift beta per channel (default true). */
  center?: boolean;
  /** Learn a scale gamma per channel (default true). */
  scale?: boolean;
  betaInitializer?: string;
  gammaInitializer?: string;
}

const GROUP_NORMALIZATION_OPTIONS = [
  ...LAYER_OPTIONS,
  'groups',
  'axis',
  'epsilon',
  'center',
  'scale',
  'betaInitializer',
  'gammaInitializer',
];

/**
 * Keras 3's GroupNormalization (Wu & He, 2018): the channels on `axis` are split into
 * `groups` consecutive groups, and each sample is normalised per group over the group's
 * channels and every other non-batch axis (population variance), then scaled by gamma and
 * shifted by beta, each [channels] (created in that order, as Keras). groups = channels is
 * instance normalisation, groups = 1 layer normalisation over all features. The same in
 * training and inference.
 */
export class GroupNormalization extends Layer {
  readonly groups: number;
  readonly axis: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly betaInit: string;
  private readonly gammaInit: string;
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  private channels = 0;

  constructor(config: GroupNormalizationArgs = {}) {
    const a = layerOptions(
      'GroupNormalization',
      config,
      'an options object ({ groups, axis, epsilon, ... })',
      GROUP_NORMALIZATION_OPTIONS,
      new.target === GroupNormalization,
    );
    super(a);
    const who = this.label;
    const groups = integer(who, 'groups', a.groups ?? 32);
    if (groups < 1 && groups !== -1)
      throw new ArgumentError(`${who}: groups must be a positive integer or -1 (one group per channel), got ${groups}`);
    this.groups = groups;
    this.axis = integer(who, 'axis', a.axis ?? -1);
    this.epsilon = finiteNonNegative(who, 'epsilon', a.epsilon ?? 1e-3);
    this.center = optionalBool(who, 'center', a.center, true);
    this.scale = optionalBool(who, 'scale', a.scale, true);
    this.betaInit = initializerOption(who, 'betaInitializer', a.betaInitializer, 'zeros');
    this.gammaInit = initializerOption(who, 'gammaInitializer', a.gammaInitializer, 'ones');
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'GroupNormalization';
  }

  /** The channel axis of `s` (non-negative) and its size with the group count, or an error naming the layer and the shape. */
  private geometry(s: readonly (number | null)[], shape: string): { axis: number; channels: number; groups: number } {
    const axis = this.axis < 0 ? this.axis + s.length : this.axis;
    if (axis < 1 || axis >= s.length)
      throw new ShapeError(`${this.label}: axis ${this.axis} is not a feature axis of an input of shape ${shape}`);
    const channels = s[axis];
    if (channels === null)
      throw new ShapeError(
        `${this.label}: the channel axis ${this.axis} must have a known size, got input shape ${shape}`,
      );
    const groups = this.groups === -1 ? channels : this.groups;
    if (groups > channels)
      throw new ShapeError(
        `${this.label}: groups (${groups}) cannot exceed the number of channels (${channels}) of input shape ${shape}`,
      );
    if (channels % groups !== 0)
      throw new ShapeError(
        `${this.label}: groups (${groups}) must divide the number of channels (${channels}) of input shape ${shape}`,
      );
    return { axis, channels, groups };
  }

  override build(inputShape: PartialShape): void {
    const { channels } = this.geometry(inputShape, fmtKerasShape(inputShape));
    this.channels = channels;
    if (this.scale) this.gamma = this.addWeight('gamma', [channels], this.gammaInit);
    if (this.center) this.beta = this.addWeight('beta', [channels], this.betaInit);
    this.built = true;
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    this.geometry(inputShape, fmtKerasShape(inputShape));
    return inputShape;
  }

  override get supportsMasking(): boolean {
    return true;
  }

  override forward(x: Tensor): Tensor {
    const { axis, channels, groups } = this.geometry(x.shape, fmtShape(x.shape));
    if (channels !== this.channels)
      throw new ShapeError(
        `${this.label}: was built for ${this.channels} channels on axis ${this.axis}, got input of shape ${fmtShape(x.shape)}`,
      );
    const before = x.shape.slice(1, axis).reduce((p, d) => p * d, 1);
    const after = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    // [batch, before, groups, channels/groups, after]: each group's statistics over axes 1, 3, 4.
    const grouped = [x.shape[0], before, groups, channels / groups, after];
    const perChannel = [1, 1, groups, channels / groups, 1];
    return tidy(() => {
      const g = reshape(x, grouped);
      const m = mean(g, [1, 3, 4], true);
      const v = variance(g, [1, 3, 4], true);
      let y = g.sub(m).mul(rsqrt(v.add(this.epsilon)));
      if (this.gamma) y = y.mul(reshape(this.gamma, perChannel));
      if (this.beta) y = y.add(reshape(this.beta, perChannel));
      return reshape(y, x.shape);
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      groups: this.groups,
      axis: this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: this.betaInit,
      gammaInitializer: this.gammaInit,
    };
  }
}
