import { backward, noGrad } from '@tsdl/autograd';
import type { CharVocabulary } from '@tsdl/data-text';
import { crossEntropy } from '@tsdl/nn';
import { AdamW, CosineAnnealingLR, clipGradNormAsync, decayGroups } from '@tsdl/optim';
import { ArgumentError, type Tensor, reshape, tensor, tidy } from '@tsdl/tensor';
import { type Checkpoint, type CheckpointMeta, disposeCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { type Corpus, Rng, sampleBatch } from './data';
import { CharGpt } from './model';
import type { Recipe } from './recipe';

/** The evaluation generator's seed is derived from the run's, so its batches never repeat the training draws. */
const evalSeed = (seed: number): number => (seed ^ 0x9e3779b9) >>> 0;

/**
 * The state of a run — model, AdamW, schedule, both batch generators and the
 * iteration — and its two operations: one optimizer step, and nanoGPT's
 * estimate_loss. Everything a resumed run needs to continue exactly is here
 * and in the checkpoint.
 */
export class Trainer {
  iter = 0;
  private readonly params: Tensor[];

  private constructor(
    readonly model: CharGpt,
    readonly vocab: CharVocabulary,
    readonly recipe: Recipe,
    readonly seed: number,
    readonly optimizer: AdamW,
    readonly schedule: CosineAnnealingLR,
    readonly trainRng: Rng,
    readonly evalRng: Rng,
  ) {
    this.params = model.parameters();
  }

  /** A new run: initial weights and both generators from `seed`. */
  static create(vocab: CharVocabulary, recipe: Recipe, seed: number): Trainer {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new ArgumentError(`Trainer: seed must be a uint32, got ${seed}`);
    const model = new CharGpt({ vocabSize: vocab.size, ...recipe.model }, seed);
    return Trainer.around(model, vocab, recipe, seed, new Rng(seed), new Rng(evalSeed(seed)));
  }

  /** The run saved in `<dir>/ckpt.safetensors`, ready for its next iteration. */
  static async resume(dir: string): Promise<Trainer> {
    const c = await loadCheckpoint(dir);
    let t: Trainer | undefined;
    try {
      const { meta } = c;
      const model = new CharGpt(meta.config);
      t = Trainer.around(model, c.vocab, meta.recipe, meta.seed, new Rng(meta.rng.train), new Rng(meta.rng.eval));
      model.loadStateDict(c.model);
      t.optimizer.loadStateDict(c.optimizer);
      t.schedule.loadStateDict(meta.scheduler);
      t.iter = meta.iter;
      return t;
    } catch (e) {
      t?.dispose();
      throw e;
    } finally {
      disposeCheckpoint(c);
    }
  }

  private static around(
    model: CharGpt,
    vocab: CharVocabulary,
    recipe: Recipe,
    seed: number,
    trainRng: Rng,
    evalRng: Rng,
  ): Trainer {
    // nanoGPT's rule: every tensor of rank >= 2 decays (the embeddings too), LayerNorm weights do not.
    const groups = decayGroups(model, { weightDecay: recipe.weightDecay, noDecay: (_name, p) => p.rank < 2 });
    const optimizer = new AdamW(groups, { lr: recipe.lr, betas: recipe.betas, eps: 1e-8 });
    // Iteration t runs at the schedule's epoch t: lr·t/warmup, then cosine to minLr at `iters`.
    const schedule = new CosineAnnealingLR(optimizer, {
      totalSteps: recipe.iters,
      warmupSteps: recipe.warmupIters,
      minLr: recipe.minLr,
    });
    return new Trainer(model, vocab, recipe, seed, optimizer, schedule, trainRng, evalRng);
  }

  /** The mean next-character loss of a [batch, steps] window batch, nats per character. */
  private lossOf(ids: Int32Array, targets: Int32Array, batch: number, steps: number): Tensor {
    const x = tensor(ids, [batch, steps], 'int32');
    const y = tensor(targets, [batch * steps], 'int32');
    return crossEntropy(reshape(this.model.call(x), [batch * steps, this.model.config.vocabSize]), y);
  }

  /** One optimizer step on a fresh training batch; returns its loss (before the update). */
  async step(train: Int32Array): Promise<number> {
    const r = this.recipe;
    const { x, y, batch, steps } = sampleBatch(train, r.batchSize, r.model.blockSize, this.trainRng);
    const loss = tidy(() => {
      const l = this.lossOf(x, y, batch, steps);
      backward(l);
      return l;
    });
    try {
      await clipGradNormAsync(this.params, r.clip);
      tidy(() => {
        this.optimizer.step();
        this.optimizer.zeroGrad();
      });
      this.schedule.step();
      this.iter++;
      return (await loss.data())[0];
    } finally {
      loss.dispose();
    }
  }

  /** nanoGPT's estimate_loss: the mean loss of `evalIters` random batches of each split, without gradients. */
  async estimateLoss(corpus: Pick<Corpus, 'train' | 'val'>): Promise<{ train: number; val: number }> {
    const r = this.recipe;
    const out = { train: 0, val: 0 };
    for (const split of ['train', 'val'] as const) {
      let sum = 0;
      for (let i = 0; i < r.evalIters; i++) {
        const { x, y, batch, steps } = sampleBatch(corpus[split], r.batchSize, r.model.blockSize, this.evalRng);
        const l = noGrad(() => tidy(() => this.lossOf(x, y, batch, steps)));
        sum += (await l.data())[0];
        l.dispose();
      }
      out[split] = sum / r.evalIters;
    }
    return out;
  }

  /** Writes the run to `<dir>/ckpt.safetensors` (atomically); returns the file's path. */
  async save(dir: string): Promise<string> {
    const meta: CheckpointMeta = {
      config: this.model.config,
      recipe: this.recipe,
      vocab: [...this.vocab.chars],
      seed: this.seed,
      iter: this.iter,
      rng: { train: this.trainRng.state, eval: this.evalRng.state },
      scheduler: this.schedule.stateDict(),
    };
    const sd = this.optimizer.stateDict();
    try {
      return await saveCheckpoint(dir, meta, this.model.stateDict(), sd);
    } finally {
      for (const st of Object.values(sd.state)) for (const t of Object.values(st.tensors)) t.dispose();
    }
  }

  /** Frees the model and the optimizer's state. */
  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

export type { Checkpoint };
