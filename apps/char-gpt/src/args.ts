import { parseArgs } from 'node:util';

/** The app's flags (its own set: iterations, not epochs, and checkpointing). */
export interface CharGptArgs {
  backend: string;
  iters: number;
  evalInterval: number;
  seed: number;
  /** Directory of ckpt.safetensors, written after every evaluation. */
  checkpoint?: string;
  /** Continue the run saved in --checkpoint. */
  resume: boolean;
  sampleChars: number;
  temperature: number;
  topK: number;
  /** The text the sample continues. */
  prompt: string;
  help: boolean;
}

export const USAGE = `usage: node apps/char-gpt/dist/main.js [options]
  --backend NAME       cpu (default) or webgpu
  --iters N            optimizer steps (default 2000, nanoGPT's CPU recipe)
  --eval-interval N    iterations between train/val loss estimates (default 250)
  --seed N             seeds the initial weights, the batches and the sample (default 0;
                       with --resume, the sample only: the run keeps its own)
  --checkpoint DIR     save DIR/ckpt.safetensors after every evaluation
  --resume             continue the run saved in --checkpoint DIR
  --sample-chars N     characters sampled at the end (default 500)
  --temperature T      sampling temperature (default 0.8)
  --top-k K            sample among the K likeliest characters (default 200)
  --prompt TEXT        text the sample continues (default a newline)`;

/** Parses argv; an unknown flag or a bad value is an Error naming the flag. */
export function parseCharGptArgs(argv: string[]): CharGptArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: 'string', default: 'cpu' },
      iters: { type: 'string' },
      'eval-interval': { type: 'string' },
      seed: { type: 'string' },
      checkpoint: { type: 'string' },
      resume: { type: 'boolean', default: false },
      'sample-chars': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      prompt: { type: 'string', default: '\n' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const int = (name: string, d: number, min: number): number => {
    const v = values[name as keyof typeof values];
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${String(v)}`);
    return n;
  };
  const temperature = values.temperature === undefined ? 0.8 : Number(values.temperature);
  if (!(temperature > 0 && temperature < Infinity))
    throw new Error(`--temperature must be a number > 0, got ${values.temperature}`);
  if (values.resume && values.checkpoint === undefined)
    throw new Error('--resume needs --checkpoint DIR (the run to continue)');
  return {
    backend: values.backend as string,
    iters: int('iters', 2000, 1),
    evalInterval: int('eval-interval', 250, 1),
    seed: int('seed', 0, 0),
    checkpoint: values.checkpoint,
    resume: values.resume === true,
    sampleChars: int('sample-chars', 500, 0),
    temperature,
    topK: int('top-k', 200, 1),
    prompt: values.prompt as string,
    help: values.help === true,
  };
}
