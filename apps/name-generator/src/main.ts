#!/usr/bin/env node
// makemore-style name generation: a character-level GRU trained by a hand-written loop, then sampled.
import { type AppArgs, runApp } from '@tsdl/app-cli';
import { loadNameData, unigramLoss } from './data';
import { sampleNames } from './sample';
import { trainNameGenerator } from './train';

const DEFAULTS = { epochs: 8, batchSize: 64, limit: true };
const TEMPERATURE = 0.8;

/**
 * The PyTorch reference's final validation loss for the default settings
 * (tooling/bench/scripts/name_generator_torch.py: same model, batches,
 * optimizer and clipping; torch.manual_seed(0) for the initial weights).
 * Measured once with torch 1.13 on the CPU; see the app's README.
 */
const TORCH_VAL_LOSS = 1.94;

async function run(args: AppArgs, description: string): Promise<void> {
  const data = await loadNameData();
  const train = args.limit === undefined ? data.train.length : Math.min(args.limit, data.train.length);
  console.log(
    `tsdl name generator on ${description}: GRU 128 over 32-wide embeddings of ${data.vocab.size} characters, Adam lr 3e-3, clip 1; ` +
      `${train} training / ${data.val.length} validation names; ${args.epochs} epochs, batch ${args.batchSize}, seed ${args.seed}`,
  );
  const { model, epochs, memoryAfterStep } = await trainNameGenerator(data, {
    ...args,
    recordMemory: true,
    onEpoch: (e) =>
      console.log(
        `epoch ${e.epoch}/${args.epochs}: train loss ${e.trainLoss.toFixed(4)}, val loss ${e.valLoss.toFixed(4)}, ` +
          `${e.steps} steps in ${e.seconds.toFixed(1)}s (${(e.steps / e.seconds).toFixed(1)} steps/s)`,
      ),
  });
  try {
    const last = epochs[epochs.length - 1];
    console.log(`final: train loss ${last.trainLoss.toFixed(4)}, val loss ${last.valLoss.toFixed(4)} nats/char`);
    console.log(
      `baselines on the validation names: unigram ${unigramLoss(data).toFixed(4)}, uniform ln ${data.vocab.size} = ${Math.log(data.vocab.size).toFixed(4)}`,
    );
    const defaults =
      args.epochs === DEFAULTS.epochs && args.batchSize === DEFAULTS.batchSize && args.limit === undefined;
    if (defaults)
      console.log(`PyTorch 1.13, same model, batches and settings (seed 0): val loss ${TORCH_VAL_LOSS.toFixed(4)}`);
    const counts = memoryAfterStep.map((m) => m.numTensors);
    const bytes = memoryAfterStep.map((m) => m.bytes);
    const range = (v: number[]) =>
      Math.min(...v) === Math.max(...v) ? `${v[0]} every step` : `between ${Math.min(...v)} and ${Math.max(...v)}`;
    console.log(`live tensors after each of ${counts.length} steps: ${range(counts)}; backend bytes: ${range(bytes)}`);
    const names = await sampleNames(model, data.vocab, { count: 20, temperature: TEMPERATURE, seed: args.seed });
    console.log(`20 names sampled at temperature ${TEMPERATURE} (seed ${args.seed}):`);
    console.log(names.join(', '));
  } finally {
    model.dispose();
  }
}

runApp('name-generator', DEFAULTS, run);
