#!/usr/bin/env node
// The Keras MNIST example on tsdl: trains on the real MNIST data and prints the test accuracy.
import { parseAppArgs, usage, useBackend } from '@tsdl/app-cli';
import { trainMnistMlp } from './train';

const DEFAULTS = { epochs: 5, batchSize: 32, limit: true };

async function main(): Promise<void> {
  const args = parseAppArgs(process.argv.slice(2), DEFAULTS);
  if (args.help) return console.log(usage('node apps/mnist-mlp/dist/main.js', DEFAULTS));
  const { description, close } = await useBackend(args.backend);
  try {
    console.log(`tsdl MNIST MLP on ${description}: ${args.epochs} epochs, batch ${args.batchSize}, seed ${args.seed}`);
    const { test, epochSeconds } = await trainMnistMlp(args);
    console.log(`epoch times: ${epochSeconds.map((s) => `${s.toFixed(1)}s`).join(', ')}`);
    console.log(`test loss: ${test.loss.toFixed(4)}`);
    console.log(`test accuracy: ${(test.accuracy * 100).toFixed(2)}%`);
  } finally {
    close();
  }
}

main().catch((e: unknown) => {
  console.error(`mnist-mlp: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
