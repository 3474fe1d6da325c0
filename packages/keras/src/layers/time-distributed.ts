import { ArgumentError, ShapeError, type Tensor, reshape, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';

export interface TimeDistributedArgs extends LayerArgs {
  /** The layer applied to every time step (its weights are shared by all steps). */
  layer: Layer;
}

type Deserialize = (entry: { className: string; config: Record<string, unknown> }) => Layer;

/**
 * Keras' TimeDistributed: applies `layer` to each time step of [batch, time, ...]
 * input, as one call over [batch·time, ...], reshaped back to [batch, time, ...].
 * A mask passes through unchanged (each step is computed, padded or not).
 * `new TimeDistributed(new Dense({ units: 4 }))`.
 */
export class TimeDistributed extends Layer {
  readonly layer: Layer;

  constructor(layer: Layer | TimeDistributedArgs, options: LayerArgs = {}) {
    const a = (
      layer instanceof Layer
        ? { ...camelCaseKeys(options ?? {}, 'TimeDistributed'), layer }
        : camelCaseKeys(layer, 'TimeDistributed')
    ) as TimeDistributedArgs;
    if (a === null || typeof a !== 'object')
      throw new ArgumentError(`TimeDistributed: expected a layer or an options object ({ layer }), got ${quote(a)}`);
    if (new.target === TimeDistributed) rejectUnknownOptions('TimeDistributed', a, [...LAYER_OPTIONS, 'layer']);
    const inner: unknown = a.layer;
    if (!(inner instanceof Layer))
      throw new ArgumentError(`TimeDistributed: layer must be a Layer, got ${quote(inner)}`);
    super(a);
    inner.expectOneOutput(`${this.label}`);
    this.layer = inner;
    this.registerModule('layer', inner);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  /** Rebuilds a saved TimeDistributed: its config holds the layer as { className, config }. */
  static fromConfig(config: Record<string, unknown>, deserialize: Deserialize): TimeDistributed {
    const c = camelCaseKeys(config, 'TimeDistributed');
    const e = c.layer as { className?: unknown; config?: unknown } | null;
    if (
      e === null ||
      typeof e !== 'object' ||
      typeof e.className !== 'string' ||
      e.config === null ||
      typeof e.config !== 'object'
    ) {
      throw new ArgumentError(
        `TimeDistributed: layer must be a saved layer { className, config }, got ${quote(c.layer)}`,
      );
    }
    return new TimeDistributed({
      ...(c as object),
      layer: deserialize(e as { className: string; config: Record<string, unknown> }),
    } as TimeDistributedArgs);
  }

  override get className(): string {
    return 'TimeDistributed';
  }

  override get supportsMasking(): boolean {
    return true;
  }

  /** The shape one step has: [batch, ...the rest] without the time axis. */
  private stepShape(inputShape: PartialShape): PartialShape {
    if (inputShape.length < 3) {
      throw new ShapeError(
        `${this.label}: expects input of rank 3 or more [batch, time, ...], got shape ${fmtKerasShape(inputShape)}`,
      );
    }
    return [null, ...inputShape.slice(2)];
  }

  override build(inputShape: PartialShape): void {
    this.layer.ensureBuilt(this.stepShape(inputShape));
    this.built = true;
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    const out = this.layer.computeOutputShape(this.stepShape(inputShape));
    return [inputShape[0], inputShape[1], ...out.slice(1)];
  }

  /** The wrapped layer's weights, named '<layer>/<weight>'. */
  override namedWeights(): [string, Tensor][] {
    return this.layer.namedWeights().map(([k, w]) => [`${this.layer.name}/${k}`, w]);
  }

  override forward(x: Tensor): Tensor {
    if (x.rank < 3)
      throw new ShapeError(
        `${this.label}: expects input of rank 3 or more [batch, time, ...], got shape ${fmtShape(x.shape)}`,
      );
    const [B, T, ...rest] = x.shape;
    return tidy(() => {
      const y = this.layer.call(reshape(x, [B * T, ...rest])) as unknown;
      if (Array.isArray(y))
        throw new ArgumentError(
          `${this.label}: the wrapped layer returned ${y.length} tensors; TimeDistributed takes a layer with one output`,
        );
      const out = y as Tensor;
      return reshape(out, [B, T, ...out.shape.slice(1)]);
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), layer: { className: this.layer.className, config: this.layer.getConfig() } };
  }
}
