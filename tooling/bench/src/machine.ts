import os from 'node:os';
import { adapterLine } from './frameworks/gpu';
import { packageVersion } from './frameworks/versions';
import { DEVICE_OF, type Framework } from './types';

/** The packages whose versions the report names, by the frameworks that use them. */
function versionLine(frameworks: readonly Framework[]): string {
  const uses = (f: Framework) => frameworks.includes(f);
  const names = [
    ...(uses('tfjs-cpu') || uses('tfjs-wasm') || uses('tfjs-webgpu') ? ['@tensorflow/tfjs'] : []),
    ...(uses('tfjs-wasm') ? ['@tensorflow/tfjs-backend-wasm'] : []),
    ...(uses('tfjs-webgpu') ? ['@tensorflow/tfjs-backend-webgpu'] : []),
    ...(uses('jax-js') || uses('jax-js-webgpu') ? ['@jax-js/jax'] : []),
    ...(frameworks.some((f) => DEVICE_OF[f] === 'gpu') ? ['webgpu'] : []),
  ];
  return `versions: ${names.map((n) => `${n} ${packageVersion(n)}`).join(', ') || 'tsdl only'}`;
}

/** The lines that say where and when the numbers were taken, and with what. */
export function machineLines(frameworks: readonly Framework[], now = new Date()): string[] {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  const lines = [
    `machine: ${model}, ${cpus.length} logical cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
    `node: ${process.version}    date: ${now.toISOString()}`,
    versionLine(frameworks),
  ];
  if (frameworks.some((f) => DEVICE_OF[f] === 'cpu')) {
    lines.push(
      `threads: tsdl cpu: WebAssembly SIMD, large matrix products and elementwise kernels split over ${cpus.length} threads by its worker pool; tfjs wasm: SIMD on one thread (threads off in Node); tfjs cpu: plain JS, one thread; jax-js wasm: one thread (no global Worker in Node)`,
    );
  }
  return lines;
}

/** machineLines, plus the GPU adapter when a GPU framework runs (asking Dawn takes a moment). */
export async function describeMachine(frameworks: readonly Framework[]): Promise<string[]> {
  const lines = machineLines(frameworks);
  if (frameworks.some((f) => DEVICE_OF[f] === 'gpu')) lines.push(await adapterLine());
  return lines;
}
