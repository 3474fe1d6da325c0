#!/usr/bin/env node
// A hand-written training loop (nn + optim + autograd) on the real MNIST data.
import { parseAppArgs, usage, useBackend } from '@tsdl/app-cli';
import { trainCustomLoop } from './train';

const DEFAULTS = { epochs: 3, batchSize: 32, limit: true };

async function main(): Promise<void> {
  const args = parseAppArgs(process.argv.slice(2), DEFAULTS);
  if (args.help) return console.log(usage('node apps/custom-loop/dist/main.js', DEFAULTS));
  const { description, close } = await useBackend(args.backend);
  try {
    await run(args, description);
  } finally {
    close();
  }
}

async function run(args: ReturnType<typeof parseAppArgs>, description: string): Promise<void> {
  const data = args.limit === undefined ? 'all 60,000 training images' : `the first ${args.limit} training images`;
  console.log(`tsdl custom training loop, 784-128-64-10 MLP, Adam, on ${description}: ${args.epochs} epoch(s), batch ${args.batchSize}, seed ${args.seed}, ${data}`);
  const { tensorsAfterStep } = await trainCustomLoop({
    ...args,
    onEpoch: (e) =>
      console.log(`epoch ${e.epoch}/${args.epochs}: loss ${e.loss.toFixed(4)}, ${e.seconds.toFixed(1)}s, test accuracy ${(e.testAccuracy * 100).toFixed(2)}%`),
  });
  const lo = Math.min(...tensorsAfterStep);
  const hi = Math.max(...tensorsAfterStep);
  console.log(`live tensors after each of ${tensorsAfterStep.length} steps: ${lo === hi ? `${lo} every step` : `between ${lo} and ${hi}`}`);
}

main().catch((e: unknown) => {
  console.error(`custom-loop: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
