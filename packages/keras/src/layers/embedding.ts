import { ArgumentError, DTypeError, type Tensor, cast, gather } from '@tsdl/tensor';
import { initializerName } from '../initializers';
import { LAYER_OPTIONS, type LayerArgs, Layer, type Shape } from './layer';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { optionalSeed, positiveInt } from './options';

const EMBEDDING_OPTIONS = [...LAYER_OPTIONS, 'inputDim', 'outputDim', 'embeddingsInitializer', 'seed'];

export interface EmbeddingArgs extends LayerArgs {
  inputDim: number;
  outputDim: number;
  embeddingsInitializer?: string;
  seed?: number;
}

/** Maps int32 indices in [0, inputDim) to learned vectors of outputDim. */
export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  private readonly init: string;
  private readonly seed: number | undefined;
  embeddings!: Tensor;

  constructor(config: EmbeddingArgs) {
    const args = camelCaseKeys(config, 'Embedding');
    if (args === null || typeof args !== 'object') throw new ArgumentError(`Embedding: expected an options object ({ inputDim, outputDim, ... }), got ${quote(args)}`);
    if (new.target === Embedding) rejectUnknownOptions('Embedding', args, EMBEDDING_OPTIONS);
    super(args);
    this.inputDim = positiveInt(this.label, 'inputDim', args.inputDim);
    this.outputDim = positiveInt(this.label, 'outputDim', args.outputDim);
    // Keras' default for embeddings is uniform(-0.05, 0.05).
    this.init = args.embeddingsInitializer ?? 'random_uniform';
    initializerName(this.init, this.label, 'embeddingsInitializer');
    this.seed = optionalSeed(this.label, args.seed);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Embedding';
  }

  override build(_inputShape: Shape): void {
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], this.init, { seed: this.seed });
    this.built = true;
  }

  override computeOutputShape(s: Shape): Shape {
    return [...s, this.outputDim];
  }

  override forward(x: Tensor): Tensor {
    if (x.dtype === 'bool') throw new DTypeError(`${this.name} (Embedding): indices must be integers, got bool`);
    const idx = x.dtype === 'int32' ? x : cast(x, 'int32');
    const out = gather(this.embeddings, idx, 0);
    if (idx !== x) idx.dispose();
    return out;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), inputDim: this.inputDim, outputDim: this.outputDim, embeddingsInitializer: this.init };
  }
}
