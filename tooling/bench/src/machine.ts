import os from 'node:os';
import { packageVersion } from './frameworks/versions';

/** The lines that say where and when the numbers were taken, and with what. */
export function machineLines(now = new Date()): string[] {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  return [
    `machine: ${model}, ${cpus.length} logical cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
    `node: ${process.version}    date: ${now.toISOString()}`,
    `versions: @tensorflow/tfjs ${packageVersion('@tensorflow/tfjs')}, @tensorflow/tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')}, @jax-js/jax ${packageVersion('@jax-js/jax')}`,
    'threads: every framework runs on one thread here (tsdl cpu: JavaScript; tfjs wasm: SIMD, threads off in Node; jax-js wasm: no global Worker in Node)',
  ];
}
