#!/usr/bin/env node
// The Keras MNIST convnet on tsdl: trains on the real MNIST data and prints epoch times and the test accuracy.
import { parseAppArgs, usage, useBackend } from '@tsdl/app-cli';
import { trainMnistCnn } from './train';

const DEFAULTS = { epochs: 1, batchSize: 128, limit: true };

async function main(): Promise<void> {
  const args = parseAppArgs(process.argv.slice(2), DEFAULTS);
  if (args.help) return console.log(usage('node apps/mnist-cnn/dist/main.js', DEFAULTS));
  const { description, close } = await useBackend(args.backend);
  try {
    await run(args, description);
  } finally {
    close();
  }
}

async function run(args: ReturnType<typeof parseAppArgs>, description: string): Promise<void> {
  const data = args.limit === undefined ? 'all 60,000 training images' : `the first ${args.limit} training images`;
  console.log(`tsdl MNIST convnet on ${description}: ${args.epochs} epoch(s), batch ${args.batchSize}, seed ${args.seed}, ${data}`);
  const { test, epochSeconds, trainImages } = await trainMnistCnn(args);
  console.log(`trained on ${trainImages} images; epoch times: ${epochSeconds.map((s) => `${s.toFixed(1)}s`).join(', ')}`);
  console.log(`test loss: ${test.loss.toFixed(4)}`);
  console.log(`test accuracy: ${(test.accuracy * 100).toFixed(2)}% (10,000 test images)`);
}

main().catch((e: unknown) => {
  console.error(`mnist-cnn: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
