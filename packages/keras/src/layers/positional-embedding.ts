import { ArgumentError, DTypeError, ShapeError, type Tensor, broadcastTo, slice, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { initializerName } from '../initializers';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { optionalSeed, positiveInt } from './options';

const POSITIONAL_OPTIONS = [...LAYER_OPTIONS, 'sequenceLength', 'initializer', 'seed'];

export interface PositionalEmbeddingArgs extends LayerArgs {
  /** The most steps an input may have: one learned vector per position. */
  sequenceLength: number;
  /** Initializer of the embeddings [sequenceLength, features] (default glorot_uniform, KerasHub's). */
  initializer?: string;
  seed?: number;
}

/** Throws a ShapeError naming the layer when an input of `steps` steps is longer than the layer's table. */
export function checkSequenceLength(label: string, steps: number | null, sequenceLength: number, shape: string): void {
  if (steps !== null && steps > sequenceLength) {
    throw new ShapeError(
      `${label}: the input of shape ${shape} has ${steps} steps, more than sequenceLength ${sequenceLength}`,
    );
  }
}

/**
 * KerasHub's PositionEmbedding: a learned vector per position, `embeddings`
 * [sequenceLength, features]. For an input [batch, time, features] it returns
 * the first `time` vectors broadcast to the input's shape; the caller adds
 * them to the input (`TokenAndPositionEmbedding` does both). A padding mask
 * passes through: the output's steps are the input's.
 */
export class PositionalEmbedding extends Layer {
  readonly sequenceLength: number;
  private readonly init: string;
  private readonly seed: number | undefined;
  embeddings: Tensor | null = null;

  constructor(config: PositionalEmbeddingArgs) {
    const args = camelCaseKeys(config, 'PositionalEmbedding');
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      throw new ArgumentError(
        `PositionalEmbedding: expected an options object ({ sequenceLength, ... }), got ${quote(args)}`,
      );
    }
    if (new.target === PositionalEmbedding) rejectUnknownOptions('PositionalEmbedding', args, POSITIONAL_OPTIONS);
    super(args);
    this.sequenceLength = positiveInt(this.label, 'sequenceLength', args.sequenceLength);
    this.init = args.initializer ?? 'glorot_uniform';
    initializerName(this.init, this.label, 'initializer');
    this.seed = optionalSeed(this.label, args.seed);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'PositionalEmbedding';
  }

  override get supportsMasking(): boolean {
    return true;
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, 3, 'inputs [batch, time, features]');
    const features = inputShape[2];
    if (features === null)
      throw new ShapeError(`${this.label}: the features of input ${fmtKerasShape(inputShape)} must be known`);
    checkSequenceLength(this.label, inputShape[1], this.sequenceLength, fmtKerasShape(inputShape));
    this.embeddings = this.addWeight('embeddings', [this.sequenceLength, features], this.init, { seed: this.seed });
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 3, 'inputs [batch, time, features]');
    checkSequenceLength(this.label, s[1], this.sequenceLength, fmtKerasShape(s));
    return s;
  }

  override forward(x: Tensor): Tensor {
    const e = this.embeddings as Tensor;
    if (x.dtype !== 'float32')
      throw new DTypeError(
        `${this.label}: the input must be float32 [batch, time, features], got ${x.dtype} of shape ${fmtShape(x.shape)}`,
      );
    if (x.rank !== 3 || x.shape[2] !== e.shape[1]) {
      throw new ShapeError(
        `${this.label}: expects inputs [batch, time, ${e.shape[1]}], got shape ${fmtShape(x.shape)}`,
      );
    }
    checkSequenceLength(this.label, x.shape[1], this.sequenceLength, fmtShape(x.shape));
    return positions(e, x.shape[0], x.shape[1]);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      sequenceLength: this.sequenceLength,
      initializer: this.init,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}

/** The first `steps` rows of a position table [sequenceLength, features], broadcast to [batch, steps, features]. */
export function positions(table: Tensor, batch: number, steps: number): Tensor {
  return tidy(() => broadcastTo(slice(table, [0, 0], [steps, table.shape[1]]), [batch, steps, table.shape[1]]));
}
