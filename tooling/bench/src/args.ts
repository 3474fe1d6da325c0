import { parseArgs } from 'node:util';
import { FRAMEWORKS, type Framework, ITEMS, type Item } from './types';

export interface BenchArgs {
  help: boolean;
  /** Tiny sizes and few batches: a smoke test that runs in seconds, not a measurement. */
  quick: boolean;
  items: Item[];
  frameworks: Framework[];
  /** Time exactly this many batches (MLP) or steps (CNN) per framework; MLP epochs are extrapolated from them. */
  batches?: number;
}

export const USAGE = `usage: pnpm bench [options]   (or: node tooling/bench/dist/main.js [options])
  --quick               tiny sizes and a few batches: checks that every path runs, measures nothing
  --only ITEMS          comma-separated work items: ${ITEMS.join(', ')} (default: all)
  --frameworks NAMES    comma-separated: ${FRAMEWORKS.join(', ')} (default: all)
  --batches N           MLP: time N batches per framework and extrapolate to a full epoch;
                        CNN: time N training steps (default: a full epoch, or a time budget
                        for frameworks too slow for one; see the notes under the table)
  -h, --help            this text`;

function list<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T[] {
  if (value === undefined) return [...allowed];
  const names = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw new Error(`--${flag}: expected a comma-separated list of ${allowed.join(', ')}, got '${value}'`);
  for (const n of names) {
    if (!(allowed as readonly string[]).includes(n)) throw new Error(`--${flag}: unknown name '${n}' (choose from ${allowed.join(', ')})`);
  }
  // Keep the canonical order, so tables read the same whatever order was typed.
  return allowed.filter((a) => names.includes(a));
}

/** Parses the command line; throws an Error naming the flag on a bad value or an unknown flag. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      frameworks: { type: 'string' },
      batches: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  let batches: number | undefined;
  if (values.batches !== undefined) {
    batches = Number(values.batches);
    if (!Number.isInteger(batches) || batches < 1) throw new Error(`--batches must be a positive integer, got '${values.batches}'`);
  }
  return {
    help: values.help === true,
    quick: values.quick === true,
    items: list('only', values.only, ITEMS),
    frameworks: list('frameworks', values.frameworks, FRAMEWORKS),
    batches,
  };
}
