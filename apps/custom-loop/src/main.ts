#!/usr/bin/env node
// A hand-written training loop (nn + optim + autograd) on the real MNIST data.
import { type AppArgs, runApp } from '@tsdl/app-cli';
import { trainCustomLoop } from './train';

const DEFAULTS = { epochs: 3, batchSize: 32, limit: true };

async function run(args: AppArgs, description: string): Promise<void> {
  const data = args.limit === undefined ? 'all 60,000 training images' : `the first ${args.limit} training images`;
  console.log(
    `tsdl custom training loop, 784-128-64-10 MLP, Adam, on ${description}: ${args.epochs} epoch(s), batch ${args.batchSize}, seed ${args.seed}, ${data}`,
  );
  const { tensorsAfterStep } = await trainCustomLoop({
    ...args,
    onEpoch: (e) =>
      console.log(
        `epoch ${e.epoch}/${args.epochs}: loss ${e.loss.toFixed(4)}, ${e.seconds.toFixed(1)}s, test accuracy ${(e.testAccuracy * 100).toFixed(2)}%`,
      ),
  });
  const lo = Math.min(...tensorsAfterStep);
  const hi = Math.max(...tensorsAfterStep);
  console.log(
    `live tensors after each of ${tensorsAfterStep.length} steps: ${lo === hi ? `${lo} every step` : `between ${lo} and ${hi}`}`,
  );
}

runApp('custom-loop', DEFAULTS, run);
