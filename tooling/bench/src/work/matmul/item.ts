import { atMost } from '../../checks';
import { type Plan, productsPerRun } from '../../plan';
import { errorCell, errorLine, progress } from '../../run/outcome';
import { repeat, timeOnce } from '../../run/repeat';
import { uniform } from '../../seeded';
import { gflops, relativeError } from '../../stats';
import { fmtNumber } from '../../table';
import { type Check, DEVICE_OF, type Framework, type ItemResult, type Row } from '../../types';
import { jaxMatmul } from './jax';
import { matmulProbe, probeValues } from './reference';
import type { MatmulFactory } from './runner';
import { tfjsMatmul } from './tfjs';
import { tsdlMatmul } from './tsdl';

const FACTORIES: Record<Framework, MatmulFactory> = {
  tsdl: tsdlMatmul('cpu'),
  'tfjs-cpu': tfjsMatmul('cpu'),
  'tfjs-wasm': tfjsMatmul('wasm'),
  'jax-js': jaxMatmul('wasm'),
  'tsdl-webgpu': tsdlMatmul('webgpu'),
  'tfjs-webgpu': tfjsMatmul('webgpu'),
  'jax-js-webgpu': jaxMatmul('webgpu'),
};

/** Every size some selected framework runs, ascending; each framework runs only its device's sizes. */
function sizesFor(plan: Plan, frameworks: readonly Framework[]): number[] {
  const sizes = new Set(frameworks.flatMap((f) => plan.matmulSizes[DEVICE_OF[f]]));
  return [...sizes].sort((x, y) => x - y);
}

/**
 * Float32 square matmuls: the median time of several synced runs after a
 * warm-up, and GFLOP/s = 2n³ / t. A run computes several independent products
 * (always on a GPU; at small n on the CPU) and reads the last back, and t is the
 * run's time over the products: the read-back is amortised, not left out.
 */
export async function matmulItem(plan: Plan, frameworks: readonly Framework[]): Promise<ItemResult> {
  const rows: Row[] = [];
  const errors: Partial<Record<Framework, number>>[] = [];
  const sizes = sizesFor(plan, frameworks);
  for (const n of sizes) {
    const a = uniform(n * n, 100 + n);
    const b = uniform(n * n, 200 + n);
    const probe = matmulProbe(a, b, n);
    const row: Row = { work: `f32 matmul n=${n} (median)`, unit: 'ms', cells: {} };
    const err: Partial<Record<Framework, number>> = {};
    for (const fw of frameworks.filter((f) => plan.matmulSizes[DEVICE_OF[f]].includes(n))) {
      let runner;
      try {
        runner = await FACTORIES[fw](a, b, n);
        let last: ArrayLike<number> = [];
        const reps = productsPerRun(plan, DEVICE_OF[fw], n);
        // Seconds per product: a call computes `reps` of them.
        const samples = await repeat(
          async () => (await timeOnce(async () => (last = await runner!.run(reps)))) / reps,
          plan.matmul,
        );
        err[fw] = relativeError(probeValues(last, n, probe), probe.values);
        const note = samples.warmupOnly
          ? `one run: the first took over ${plan.matmul.soloSeconds} s, so it was not repeated`
          : undefined;
        row.cells[fw] = { kind: 'time', seconds: samples.median, gflops: gflops(n, samples.median), note };
        progress(
          `matmul n=${n} ${fw}: ${fmtNumber(samples.median * 1000)} ms (${samples.seconds.length} runs), ${fmtNumber(gflops(n, samples.median))} GFLOP/s`,
        );
      } catch (e) {
        row.cells[fw] = errorCell(e);
        progress(errorLine(`matmul n=${n} ${fw}`, e));
      } finally {
        runner?.dispose();
      }
    }
    rows.push(row);
    errors.push(err);
  }
  const checks: Check[] = sizes.map((n, i) =>
    atMost(
      `matmul n=${n}: max error / max |value| at 64 sampled entries vs float64`,
      errors[i],
      1e-4,
      'same A and B for every framework',
    ),
  );
  return { rows, checks };
}
