#!/usr/bin/env node
// Spam vs ham on SpamAssassin message bodies: a bidirectional LSTM and a bag-of-words baseline, both with the Keras API.
import { type AppArgs, runApp } from '@tsdl/app-cli';
import { loadSpamData } from './data';
import type { BinaryMetrics } from './metrics';
import { BAG_DEFAULT_TOKENS, RECURRENT_DEFAULTS } from './model';
import { type ModelResult, trainBagOfWords, trainRecurrent } from './train';

const DEFAULTS = { epochs: 6, batchSize: 128, limit: true };
/** The baseline's epochs are cheap (one Dense layer on vectorized emails): it gets more. */
const BAG_EPOCHS = 20;

const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;

function report(name: string, r: ModelResult): void {
  const m: BinaryMetrics = r.test;
  console.log(
    `${name}: accuracy ${pct(m.accuracy)}, precision ${pct(m.precision)}, recall ${pct(m.recall)}, F1 ${pct(m.f1)} ` +
      `(tp ${m.tp}, fp ${m.fp}, tn ${m.tn}, fn ${m.fn}); ${r.epochsRun} epochs, best ${r.bestEpoch}, ${r.seconds.toFixed(1)}s`,
  );
}

async function run(args: AppArgs, description: string): Promise<void> {
  const data = await loadSpamData({ seed: args.seed, limit: args.limit });
  const spam = (l: Int32Array): number => l.reduce((s, v) => s + v, 0);
  console.log(
    `tsdl text classification on ${description}: SpamAssassin bodies, ${data.train.texts.length} training emails (${spam(data.train.labels)} spam; 10% of them validate), ` +
      `${data.test.texts.length} held out (${spam(data.test.labels)} spam); batch ${args.batchSize}, seed ${args.seed}`,
  );
  const c = RECURRENT_DEFAULTS;
  console.log(
    `\nrecurrent: TextVectorization(${c.maxTokens} tokens, ${c.sequenceLength} per email) → Embedding(${c.embeddingDim}, maskZero) → Bidirectional(LSTM ${c.lstmUnits}) → Dense(sigmoid); up to ${args.epochs} epochs`,
  );
  const recurrent = await trainRecurrent(data, { epochs: args.epochs, batchSize: args.batchSize, seed: args.seed });
  console.log(
    `\nbag of words: TextVectorization(multi_hot, ${BAG_DEFAULT_TOKENS} tokens) → Dense(sigmoid); up to ${BAG_EPOCHS} epochs`,
  );
  const bag = await trainBagOfWords(data, { epochs: BAG_EPOCHS, batchSize: 32, seed: args.seed });
  console.log('\nheld-out results (spam is the positive class):');
  report('bidirectional LSTM', recurrent);
  report('bag of words      ', bag);
  const gap = (bag.test.accuracy - recurrent.test.accuracy) * 100;
  console.log(`accuracy gap (bag of words − LSTM): ${gap.toFixed(2)} points`);
}

runApp('text-classification', DEFAULTS, run);
