#!/usr/bin/env node
// Fits a line with autograd and prints what it learned (--backend cpu | webgpu).
import { parseArgs } from 'node:util';
import { useBackend } from '@tsdl/app-cli';
import { fitLine } from './fit';

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { backend: { type: 'string', default: 'cpu' } },
  });
  const { description, close } = await useBackend(values.backend as string);
  try {
    const trueWeight = 3;
    const trueBias = 2;
    const started = performance.now();
    const { weight, bias, loss } = await fitLine({ trueWeight, trueBias });
    const ms = performance.now() - started;
    console.log(`fit y = w·x + b by gradient descent on ${description} (200 steps, ${ms.toFixed(0)} ms)`);
    console.log(`  weight: learned ${weight.toFixed(4)}   true ${trueWeight}`);
    console.log(`  bias:   learned ${bias.toFixed(4)}   true ${trueBias}`);
    console.log(`  final mean squared error: ${loss.toFixed(5)} (the noise variance is 0.01)`);
  } finally {
    close();
  }
}

main().catch((e: unknown) => {
  console.error(`fit-line: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
