import { parseArgs } from 'node:util';

/** The flags every example app takes. */
export interface AppArgs {
  backend: string;
  epochs: number;
  batchSize: number;
  seed: number;
  limit?: number;
}

export function parseAppArgs(argv: string[], defaults: { epochs: number; batchSize: number }): AppArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: 'string', default: 'cpu' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      seed: { type: 'string', default: '0' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('options: --backend cpu|webgpu  --epochs N  --batch-size N  --seed N  --limit N (train on the first N samples)');
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, d: number): number => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
    return n;
  };
  return {
    backend: values.backend as string,
    epochs: int('epochs', values.epochs, defaults.epochs),
    batchSize: int('batch-size', values['batch-size'], defaults.batchSize),
    seed: Number(values.seed),
    limit: values.limit === undefined ? undefined : int('limit', values.limit, 0),
  };
}
