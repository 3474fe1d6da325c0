#!/usr/bin/env node
// The Keras MNIST example on tsdl: trains on the real MNIST data and prints the test accuracy.
import { type AppArgs, runApp } from '@tsdl/app-cli';
import { trainMnistMlp } from './train';

const DEFAULTS = { epochs: 5, batchSize: 32, limit: true };

async function run(args: AppArgs, description: string): Promise<void> {
  console.log(`tsdl MNIST MLP on ${description}: ${args.epochs} epochs, batch ${args.batchSize}, seed ${args.seed}`);
  const { test, epochSeconds } = await trainMnistMlp(args);
  console.log(`epoch times: ${epochSeconds.map((s) => `${s.toFixed(1)}s`).join(', ')}`);
  console.log(`test loss: ${test.loss.toFixed(4)}`);
  console.log(`test accuracy: ${(test.accuracy * 100).toFixed(2)}%`);
}

runApp('mnist-mlp', DEFAULTS, run);
