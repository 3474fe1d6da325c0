import { Embedding, GRU, Linear, Module } from '@tsdl/nn';
import { type Tensor, reshape, tidy } from '@tsdl/tensor';

export interface NameModelOptions {
  /** Characters, the boundary '.' included. */
  vocabSize: number;
  /** Features of each character's embedding (default 32). */
  embedding?: number;
  /** GRU hidden features (default 128). */
  hidden?: number;
  /** Stacked GRU layers (default 1). */
  layers?: number;
  /** Seeds the initial weights; module k uses seed + 100·k (default: the global generator). */
  seed?: number;
}

/**
 * Embedding → GRU (batch first) → Linear: the logits of the next character
 * after each character read. PyTorch's defaults initialise every part
 * (N(0, 1) embeddings, U(±1/√hidden) GRU weights, U(±1/√fan_in) Linear), as
 * the PyTorch reference builds it.
 */
export class NameModel extends Module {
  readonly vocabSize: number;
  readonly embed: Embedding;
  readonly gru: GRU;
  readonly head: Linear;

  constructor(o: NameModelOptions) {
    super();
    const { vocabSize, embedding = 32, hidden = 128, layers = 1, seed } = o;
    const at = (k: number) => (seed === undefined ? undefined : seed + 100 * k);
    this.vocabSize = vocabSize;
    this.embed = this.registerModule('embed', new Embedding(vocabSize, embedding, { seed: at(0) }));
    this.gru = this.registerModule(
      'gru',
      new GRU(embedding, hidden, { numLayers: layers, batchFirst: true, seed: at(1) }),
    );
    this.head = this.registerModule('head', new Linear(hidden, vocabSize, { seed: at(2) }));
  }

  /**
   * ids int32 [batch, steps] → logits [batch·steps, vocab]. With `lengths`,
   * the GRU stops each row at its length (padded steps output 0, so their
   * logits are the head's bias and their targets are ignored by the loss).
   */
  override forward(ids: Tensor, lengths?: readonly number[]): Tensor {
    return tidy(() => {
      const [out] = this.gru.call(this.embed.call(ids), null, lengths ? { lengths } : undefined);
      return reshape(this.head.call(out), [-1, this.vocabSize]);
    });
  }

  /** One step of generation: ids int32 [n] and the state h [layers, n, hidden] (null: zeros) → logits [n, vocab] and the next state. */
  step(ids: Tensor, h: Tensor | null): { logits: Tensor; h: Tensor } {
    return tidy(() => {
      const [out, hN] = this.gru.call(this.embed.call(reshape(ids, [-1, 1])), h);
      return { logits: reshape(this.head.call(out), [-1, this.vocabSize]), h: hN };
    });
  }
}
