import { parseArgs } from 'node:util';

/** The flags every example app takes: --backend, --epochs, --batch-size, --seed (and --limit where accepted). */
export interface AppArgs {
  backend: string;
  epochs: number;
  batchSize: number;
  seed: number;
  /** Train on the first N samples (only apps that accept --limit). */
  limit?: number;
}

export interface ArgDefaults {
  epochs: number;
  batchSize: number;
  /** Whether --limit N is accepted. */
  limit?: boolean;
}

/** Parses argv; throws an Error naming the flag for a bad value or an unknown flag. */
export function parseAppArgs(argv: string[], defaults: ArgDefaults): AppArgs & { help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: 'string', default: 'cpu' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      seed: { type: 'string', default: '0' },
      ...(defaults.limit ? { limit: { type: 'string' as const } } : {}),
      help: { type: 'boolean', short: 'h' },
    },
  });
  const int = (name: string, v: unknown, d: number, min: number): number => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${String(v)}`);
    return n;
  };
  return {
    help: values.help === true,
    backend: values.backend as string,
    epochs: int('epochs', values.epochs, defaults.epochs, 1),
    batchSize: int('batch-size', values['batch-size'], defaults.batchSize, 1),
    seed: int('seed', values.seed, 0, 0),
    limit: 'limit' in values && values.limit !== undefined ? int('limit', values.limit, 0, 1) : undefined,
  };
}

/** The --help text. */
export function usage(command: string, defaults: ArgDefaults): string {
  const lines = [
    `usage: ${command} [options]`,
    '  --backend NAME     where tensors live and ops run (default cpu)',
    `  --epochs N         passes over the training data (default ${defaults.epochs})`,
    `  --batch-size N     samples per optimizer step (default ${defaults.batchSize})`,
    '  --seed N           seeds data order and initial weights (default 0)',
  ];
  if (defaults.limit) lines.push('  --limit N          train on the first N training samples only');
  return lines.join('\n');
}
