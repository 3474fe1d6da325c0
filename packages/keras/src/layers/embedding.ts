import { ArgumentError, DTypeError, type Tensor, cast, gather } from '@tsdl/tensor';
import { initializerName } from '../initializers';
import { type LayerArgs, Layer, type Shape } from './layer';
import { camelCaseKeys } from '../config-keys';

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
    const args = camelCaseKeys(config);
    super(args);
    for (const k of ['inputDim', 'outputDim'] as const) {
      if (!Number.isInteger(args[k]) || args[k] <= 0) throw new ArgumentError(`Embedding: ${k} must be a positive integer, got ${args[k]}`);
    }
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    // Keras' default for embeddings is uniform(-0.05, 0.05).
    this.init = args.embeddingsInitializer ?? 'random_uniform';
    initializerName(this.init);
    this.seed = args.seed;
    if (args.inputShape) this.build([null, ...args.inputShape]);
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
