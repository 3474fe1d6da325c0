#!/usr/bin/env node
// Linear regression with nn.Linear, MSE and SGD; prints the learned, least-squares and true coefficients.
import { type AppArgs, runApp } from '@tsdl/app-cli';
import { NOISE_STD, TRUE_BIAS, TRUE_WEIGHTS } from './data';
import { trainLinearRegression } from './train';

const DEFAULTS = { epochs: 20, batchSize: 32 };

const fmt = (v: number): string => (v >= 0 ? ' ' : '') + v.toFixed(4);

async function run(args: AppArgs, description: string): Promise<void> {
  console.log(
    `tsdl linear regression on ${description}: ${args.epochs} epochs, batch ${args.batchSize}, seed ${args.seed}`,
  );
  console.log(`data: 1,000 samples of y = x·w_true + b_true + N(0, ${NOISE_STD}²), x ~ N(0, I_${TRUE_WEIGHTS.length})`);
  const t0 = performance.now();
  const { learned, leastSquares, epochLosses } = await trainLinearRegression(args);
  console.log(
    `trained in ${((performance.now() - t0) / 1000).toFixed(2)}s; final MSE ${epochLosses.at(-1)?.toFixed(5)} (the noise variance is ${(NOISE_STD ** 2).toFixed(5)})`,
  );
  console.log('');
  console.log('             learned   least-sq      true');
  const rows: [string, number, number, number][] = [
    ...TRUE_WEIGHTS.map((t, i): [string, number, number, number] => [
      `w[${i}]`,
      learned.weights[i],
      leastSquares.weights[i],
      t,
    ]),
    ['b', learned.bias, leastSquares.bias, TRUE_BIAS],
  ];
  for (const [name, l, ls, t] of rows)
    console.log(`  ${name.padEnd(6)} ${fmt(l).padStart(9)} ${fmt(ls).padStart(10)} ${fmt(t).padStart(9)}`);
  const maxVsLs = Math.max(...rows.map(([, l, ls]) => Math.abs(l - ls)));
  const maxVsTrue = Math.max(...rows.map(([, l, , t]) => Math.abs(l - t)));
  const lsVsTrue = Math.max(...rows.map(([, , ls, t]) => Math.abs(ls - t)));
  console.log('');
  console.log(`max |learned − least-squares|: ${maxVsLs.toExponential(2)}  (how well SGD optimised)`);
  console.log(
    `max |learned − true|:          ${maxVsTrue.toExponential(2)}  (least-squares itself is ${lsVsTrue.toExponential(2)} from the truth: the noise)`,
  );
}

runApp('linear-regression', DEFAULTS, run);
