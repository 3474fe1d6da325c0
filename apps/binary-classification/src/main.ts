#!/usr/bin/env node
// Binary classification with Keras on data whose best possible accuracy is known (100%).
import { type AppArgs, runApp } from '@tsdl/app-cli';
import { DIM, TEST_SIZE, trainBinary } from './train';

const DEFAULTS = { epochs: 10, batchSize: 32 };

async function run(args: AppArgs, description: string): Promise<void> {
  console.log(
    `tsdl binary classification on ${description}: ${args.epochs} epochs, batch ${args.batchSize}, seed ${args.seed}`,
  );
  console.log(
    `data: ${DIM}-d standard Gaussian inputs labelled by a random hyperplane through the origin (10,000 to train, ${TEST_SIZE.toLocaleString('en-US')} held out)`,
  );
  const t0 = performance.now();
  const { test, majorityBaseline, trainAccuracy } = await trainBinary(args);
  console.log(`trained and evaluated in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  console.log(`training accuracy:       ${(trainAccuracy * 100).toFixed(2)}% (last epoch)`);
  console.log(`held-out loss:           ${test.loss.toFixed(4)}`);
  console.log(`held-out accuracy:       ${(test.accuracy * 100).toFixed(2)}%`);
  console.log(`Bayes-optimal (teacher): 100.00% (the labels are a deterministic function of the inputs)`);
  console.log(`majority-class baseline: ${(majorityBaseline * 100).toFixed(2)}%`);
}

runApp('binary-classification', DEFAULTS, run);
