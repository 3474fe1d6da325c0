import { backward, noGrad } from '@tsdl/autograd';
import { CharGpt, type GptConfig } from '@tsdl/app-char-gpt/model';
import { crossEntropy } from '@tsdl/nn';
import { AdamW, clipGradNormAsync } from '@tsdl/optim';
import { ArgumentError, type Tensor, reshape, tensor, tidy } from '@tsdl/tensor';

/** The page's GPT: the char-gpt app's model, smaller than nanoGPT's CPU recipe so a browser tab trains it in minutes. */
export const PAGE_GPT: Omit<GptConfig, 'vocabSize'> = { nLayer: 2, nHead: 4, nEmbd: 64, blockSize: 32 };

/** mulberry32: a seeded uint32 generator, so a seed gives the same batches in every browser. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** `batch` random windows of `steps` ids and, for each, the ids one further on (next-character targets). */
export function sampleWindows(
  ids: Int32Array,
  batch: number,
  steps: number,
  next: () => number,
): { x: Int32Array; y: Int32Array } {
  if (ids.length <= steps)
    throw new ArgumentError(
      `sampleWindows: the text has ${ids.length} characters, too few for ${steps}-character windows and their targets`,
    );
  const x = new Int32Array(batch * steps);
  const y = new Int32Array(batch * steps);
  for (let b = 0; b < batch; b++) {
    const start = next() % (ids.length - steps);
    x.set(ids.subarray(start, start + steps), b * steps);
    y.set(ids.subarray(start + 1, start + 1 + steps), b * steps);
  }
  return { x, y };
}

/** A model, its AdamW and its batch generator: one step at a time, so the worker can report and stop between steps. */
export class TextTrainer {
  readonly model: CharGpt;
  private readonly optimizer: AdamW;
  private readonly params: Tensor[];
  private readonly next: () => number;

  constructor(
    vocabSize: number,
    private readonly batchSize: number,
    learningRate: number,
    seed: number,
  ) {
    this.model = new CharGpt({ vocabSize, ...PAGE_GPT }, seed);
    this.params = this.model.parameters();
    this.optimizer = new AdamW(this.params, { lr: learningRate, weightDecay: 0.1 });
    this.next = rng(seed);
  }

  get parameterCount(): number {
    return this.params.reduce((n, p) => n + p.size, 0);
  }

  private lossOf(x: Int32Array, y: Int32Array): Tensor {
    const { blockSize, vocabSize } = this.model.config;
    const batch = x.length / blockSize;
    const logits = this.model.call(tensor(x, [batch, blockSize], 'int32'));
    return crossEntropy(reshape(logits, [batch * blockSize, vocabSize]), tensor(y, [batch * blockSize], 'int32'));
  }

  /** One AdamW step on a fresh batch of `train`; returns the batch's loss before the update. */
  async step(train: Int32Array): Promise<number> {
    const { x, y } = sampleWindows(train, this.batchSize, this.model.config.blockSize, this.next);
    const loss = tidy(() => {
      const l = this.lossOf(x, y);
      backward(l);
      return l;
    });
    try {
      // nanoGPT clips the gradient norm at 1; early steps of a small model need it most.
      await clipGradNormAsync(this.params, 1);
      tidy(() => {
        this.optimizer.step();
        this.optimizer.zeroGrad();
      });
      return (await loss.data())[0];
    } finally {
      loss.dispose();
    }
  }

  /** The mean loss of `batches` random batches of `ids`, without gradients. */
  async meanLoss(ids: Int32Array, batches: number): Promise<number> {
    let sum = 0;
    for (let i = 0; i < batches; i++) {
      const { x, y } = sampleWindows(ids, this.batchSize, this.model.config.blockSize, this.next);
      const l = noGrad(() => tidy(() => this.lossOf(x, y)));
      sum += (await l.data())[0];
      l.dispose();
    }
    return sum / batches;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}
