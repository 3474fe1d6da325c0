#!/usr/bin/env node
// The benchmark harness: tsdl beside TensorFlow.js (cpu, wasm, webgpu) and jax-js (wasm, webgpu) on the same work, in one process run.
import { USAGE, parseBenchArgs } from './args';
import { describeMachine } from './machine';
import { makePlan } from './plan';
import { formatReport } from './report';
import { progress } from './run/outcome';
import { CHILD_FLAG, killChildren } from './run/child';
import type { Check, Item, ItemResult, Row } from './types';
import { cnnItem } from './work/cnn/item';
import { lstmItem } from './work/lstm/item';
import { matmulItem } from './work/matmul/item';
import { matmulTransposesItem } from './work/matmul-transposes/item';
import { mlpItem } from './work/mlp/item';
import { type MlpJob, mlpChild } from './work/mlp/child';
import { mlpMemoryItem } from './work/mlp/memory';
import { smallOpsItem } from './work/small-ops/item';
import { transformerItem } from './work/transformer/item';

const ITEM_RUNNERS: Record<Item, typeof mlpItem> = {
  mlp: mlpItem,
  'mlp-memory': mlpMemoryItem,
  matmul: matmulItem,
  cnn: cnnItem,
  'small-ops': smallOpsItem,
  'matmul-transposes': matmulTransposesItem,
  lstm: lstmItem,
  transformer: transformerItem,
};

async function main(): Promise<void> {
  // A child of the mlp or mlp-memory item (run/child.ts): one framework's MLP run, its times and peak RSS.
  if (process.argv[2] === CHILD_FLAG) {
    await mlpChild(JSON.parse(process.argv[3]) as MlpJob);
    return;
  }
  let args;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const plan = makePlan(args);
  const header = await describeMachine(args.frameworks);
  progress(header.join('\n'));
  const t0 = performance.now();
  const rows: Row[] = [];
  const checks: Check[] = [];
  // A run cut short (`timeout` on a lent GPU machine sends SIGTERM) still prints the items it finished:
  // a device run cannot be repeated at will.
  process.once('SIGTERM', () => {
    killChildren();
    console.log(
      `INTERRUPTED (SIGTERM) after ${((performance.now() - t0) / 1000).toFixed(0)} s: only the finished items are below\n`,
    );
    console.log(formatReport(header, plan, rows, checks, args.frameworks));
    process.exit(124);
  });
  for (const item of args.items) {
    const result: ItemResult = await ITEM_RUNNERS[item](plan, args.frameworks);
    rows.push(...result.rows);
    checks.push(...result.checks);
  }
  progress(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  console.log(formatReport(header, plan, rows, checks, args.frameworks));
  if (checks.some((c) => !c.ok)) process.exitCode = 1;
}

await main();
