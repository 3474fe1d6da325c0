#!/usr/bin/env node
// nanoGPT's CPU recipe on Moby-Dick: a character-level GPT trained by a hand-written loop, then sampled.
import { useBackend } from '@tsdl/app-cli';
import { USAGE, parseCharGptArgs } from './args';
import { loadCorpus } from './data';
import { ProgressBar } from './progress';
import { NANO_GPT_RECIPE, recipeWith } from './recipe';
import { sampleText } from './sample';
import { runTraining } from './train';
import { Trainer } from './trainer';

/**
 * The PyTorch reference's final validation loss for the full recipe
 * (tooling/bench/scripts/char_gpt_torch.py, same model, split, init and
 * schedule; torch.manual_seed(0)), measured once with Debian's torch 1.13;
 * see the README.
 */
const TORCH_VAL_LOSS = 1.8063;

async function main(): Promise<void> {
  const args = parseCharGptArgs(process.argv.slice(2));
  if (args.help) return console.log(USAGE);
  const { description, close } = await useBackend(args.backend);
  let trainer: Trainer | undefined;
  try {
    const corpus = await loadCorpus();
    corpus.vocab.encode(args.prompt); // a prompt character outside the text fails now, not after training
    if (args.resume) {
      trainer = await Trainer.resume(args.checkpoint as string);
      console.log(
        `resuming ${args.checkpoint} at iteration ${trainer.iter} of ${trainer.recipe.iters} (the checkpoint's recipe and seed ${trainer.seed})`,
      );
    } else {
      trainer = Trainer.create(
        corpus.vocab,
        recipeWith({
          iters: args.iters,
          evalInterval: args.evalInterval,
          warmupIters: Math.min(NANO_GPT_RECIPE.warmupIters, args.iters),
        }),
        args.seed,
      );
    }
    const { recipe } = trainer;
    const m = recipe.model;
    console.log(
      `tsdl char-gpt on ${description}: ${m.nLayer} layers, ${m.nHead} heads, embedding ${m.nEmbd}, context ${m.blockSize}, ` +
        `${(trainer.model.numParameters() / 1e6).toFixed(2)}M parameters, ${corpus.vocab.size} characters; ` +
        `Moby-Dick ${corpus.train.length} train / ${corpus.val.length} val characters; batch ${recipe.batchSize}, ${recipe.iters} iterations, ` +
        `AdamW lr ${recipe.lr} (warm-up ${recipe.warmupIters}, cosine to ${recipe.minLr}), clip ${recipe.clip}, seed ${trainer.seed}`,
    );
    const bar = new ProgressBar();
    let last = { iter: trainer.iter, t: performance.now(), rate: 0 };
    const result = await runTraining(trainer, corpus, {
      checkpoint: args.checkpoint,
      onStep: (iter, loss) => {
        const now = performance.now();
        last = { iter, t: now, rate: 0.8 * last.rate + 0.2 * (1000 / Math.max(1e-3, now - last.t)) };
        bar.update(iter, recipe.iters, loss, last.rate);
      },
      onEval: (e) => {
        bar.clear();
        console.log(
          `iter ${e.iter}: train loss ${e.train.toFixed(4)}, val loss ${e.val.toFixed(4)} (${e.seconds.toFixed(0)}s of training)`,
        );
        last.t = performance.now(); // the evaluation's time is not a step's
      },
    });
    const steps = result.stepLosses.length;
    if (steps > 0)
      console.log(
        `${steps} iterations in ${result.trainSeconds.toFixed(1)}s: ${(steps / result.trainSeconds).toFixed(2)} it/s`,
      );
    const final = result.evals.at(-1);
    if (final?.iter === 2000 && recipe.iters === 2000)
      console.log(
        `final val loss ${final.val.toFixed(4)}; PyTorch, same recipe (seed 0): ${TORCH_VAL_LOSS.toFixed(4)}`,
      );
    if (args.checkpoint) console.log(`checkpoint: ${args.checkpoint}/ckpt.safetensors (iteration ${trainer.iter})`);
    if (args.sampleChars > 0) {
      const text = await sampleText(trainer.model, trainer.vocab, {
        prompt: args.prompt,
        chars: args.sampleChars,
        temperature: args.temperature,
        topK: args.topK,
        seed: args.seed,
      });
      console.log(
        `${args.sampleChars} characters sampled at temperature ${args.temperature}, top-k ${args.topK}:\n${args.prompt}${text}`,
      );
    }
  } finally {
    trainer?.dispose();
    close();
  }
}

main().catch((e: unknown) => {
  console.error(`char-gpt: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
