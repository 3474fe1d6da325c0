#!/usr/bin/env node
// The Keras MNIST convnet on tsdl: trains on the real MNIST data and prints epoch times and the test accuracy.
import { type AppArgs, runApp } from '@tsdl/app-cli';
import { trainMnistCnn } from './train';

const DEFAULTS = { epochs: 1, batchSize: 128, limit: true };

async function run(args: AppArgs, description: string): Promise<void> {
  const data = args.limit === undefined ? 'all 60,000 training images' : `the first ${args.limit} training images`;
  console.log(
    `tsdl MNIST convnet on ${description}: ${args.epochs} epoch(s), batch ${args.batchSize}, seed ${args.seed}, ${data}`,
  );
  const { test, epochSeconds, trainImages } = await trainMnistCnn(args);
  console.log(
    `trained on ${trainImages} images; epoch times: ${epochSeconds.map((s) => `${s.toFixed(1)}s`).join(', ')}`,
  );
  console.log(`test loss: ${test.loss.toFixed(4)}`);
  console.log(`test accuracy: ${(test.accuracy * 100).toFixed(2)}% (10,000 test images)`);
}

runApp('mnist-cnn', DEFAULTS, run);
