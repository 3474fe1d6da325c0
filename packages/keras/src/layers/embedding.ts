import { ArgumentError, DTypeError, type Tensor, cast, gather, ne } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { initializerName } from '../initializers';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { optionalBool, optionalSeed, positiveInt } from './options';

const EMBEDDING_OPTIONS = [...LAYER_OPTIONS, 'inputDim', 'outputDim', 'embeddingsInitializer', 'maskZero', 'seed'];

export interface EmbeddingArgs extends LayerArgs {
  inputDim: number;
  outputDim: number;
  embeddingsInitializer?: string;
  /**
   * Index 0 is padding (default false): the layer then makes a mask [batch, time], true
   * where the index is not 0, which recurrent layers, Bidirectional and
   * GlobalAveragePooling1D after it read (Keras' mask_zero). inputDim must count index 0.
   */
  maskZero?: boolean;
  seed?: number;
}

/** Maps int32 indices in [0, inputDim) to learned vectors of outputDim. */
export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  private readonly init: string;
  private readonly seed: number | undefined;
  readonly maskZero: boolean;
  embeddings!: Tensor;

  constructor(config: EmbeddingArgs) {
    const args = camelCaseKeys(config, 'Embedding');
    if (args === null || typeof args !== 'object')
      throw new ArgumentError(
        `Embedding: expected an options object ({ inputDim, outputDim, ... }), got ${quote(args)}`,
      );
    if (new.target === Embedding) rejectUnknownOptions('Embedding', args, EMBEDDING_OPTIONS);
    super(args);
    this.inputDim = positiveInt(this.label, 'inputDim', args.inputDim);
    this.outputDim = positiveInt(this.label, 'outputDim', args.outputDim);
    // Keras' default for embeddings is uniform(-0.05, 0.05).
    this.init = args.embeddingsInitializer ?? 'random_uniform';
    initializerName(this.init, this.label, 'embeddingsInitializer');
    this.seed = optionalSeed(this.label, args.seed);
    this.maskZero = optionalBool(this.label, 'maskZero', args.maskZero, false);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Embedding';
  }

  override build(_inputShape: PartialShape): void {
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], this.init, { seed: this.seed });
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    return [...s, this.outputDim];
  }

  override forward(x: Tensor): Tensor {
    if (x.dtype === 'bool') throw new DTypeError(`${this.name} (Embedding): indices must be integers, got bool`);
    const idx = x.dtype === 'int32' ? x : cast(x, 'int32');
    try {
      return gather(this.embeddings, idx, 0);
    } catch (e) {
      // gather names itself; the user called this layer, with indices of this shape.
      if (e instanceof ArgumentError)
        throw new ArgumentError(
          `${this.label}: an index of the input of shape ${fmtShape(x.shape)} is outside the vocabulary [0, ${this.inputDim}) (${e.message})`,
        );
      throw e;
    } finally {
      if (idx !== x) idx.dispose();
    }
  }

  /** With maskZero, the mask of the indices: true where not 0 (padding). */
  override computeMask(x: Tensor, _mask: Tensor | null): Tensor | null {
    return this.maskZero ? ne(x, 0) : null;
  }

  override outputMasked(_inputMasked: boolean): boolean {
    return this.maskZero;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: this.init,
      maskZero: this.maskZero,
    };
  }
}
