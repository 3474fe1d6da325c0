import { atMost } from '../../checks';
import type { Plan } from '../../plan';
import { errorCell, errorLine, progress } from '../../run/outcome';
import { repeat, timeOnce } from '../../run/repeat';
import { uniform } from '../../seeded';
import { gflops, relativeError } from '../../stats';
import { fmtNumber } from '../../table';
import type { Cell, Check, Framework, ItemResult, Row } from '../../types';
import { probeValues } from '../matmul/reference';
import { jaxTransposedMatmul } from './jax';
import { transposedProbe } from './reference';
import { COMBINATIONS, type TransposedMatmulFactory, combinationLabel } from './runner';
import { tfjsTransposedMatmul } from './tfjs';
import { tsdlTransposedMatmul } from './tsdl';

/**
 * CPU frameworks only: the question is whether tsdl's strided-view transposes
 * cost the CPU matmul anything. TF.js cpu is left out: it takes seconds a
 * product at n=1024 and its plain matmul is already in the matmul item.
 */
const FACTORIES: Partial<Record<Framework, TransposedMatmulFactory>> = {
  tsdl: tsdlTransposedMatmul,
  'tfjs-wasm': tfjsTransposedMatmul('wasm'),
  'jax-js': jaxTransposedMatmul,
};

/**
 * A·B, Aᵀ·B, A·Bᵀ and Aᵀ·Bᵀ (the backward pass of a matmul uses the
 * transposed ones) on the same float32 A and B: the median time of synced
 * runs after a warm-up, GFLOP/s = 2n³ / t, and each combination's time over
 * the plain A·B's on the same framework.
 */
export async function matmulTransposesItem(plan: Plan, frameworks: readonly Framework[]): Promise<ItemResult> {
  const rows: Row[] = [];
  const checks: Check[] = [];
  const { sizes, policy } = plan.matmulTransposes;
  const chosen = frameworks.filter((f) => FACTORIES[f] !== undefined);
  for (const n of sizes) {
    const a = uniform(n * n, 100 + n);
    const b = uniform(n * n, 200 + n);
    const plain: Partial<Record<Framework, number>> = {};
    for (const t of COMBINATIONS) {
      const label = combinationLabel(t);
      const probe = transposedProbe(a, b, n, t);
      const row: Row = { work: `f32 matmul n=${n} ${label} (median)`, unit: 'ms', cells: {} };
      const err: Partial<Record<Framework, number>> = {};
      for (const fw of chosen) {
        let runner;
        try {
          runner = await FACTORIES[fw]!(a, b, n, t);
          let last: ArrayLike<number> = [];
          const samples = await repeat(async () => timeOnce(async () => (last = await runner!.run())), policy);
          err[fw] = relativeError(probeValues(last, n, probe), probe.values);
          if (!t.a && !t.b) plain[fw] = samples.median;
          const base = plain[fw];
          const cell: Cell = { kind: 'time', seconds: samples.median, gflops: gflops(n, samples.median) };
          if (base !== undefined) cell.relative = { value: samples.median / base, to: 'A·B' };
          if (samples.warmupOnly)
            cell.note = `one run: the first took over ${policy.soloSeconds} s, so it was not repeated`;
          row.cells[fw] = cell;
          const rel = base !== undefined ? `, ${fmtNumber(samples.median / base)}× A·B` : '';
          progress(
            `matmul-transposes n=${n} ${label} ${fw}: ${fmtNumber(samples.median * 1000)} ms (${samples.seconds.length} runs), ${fmtNumber(gflops(n, samples.median))} GFLOP/s${rel}`,
          );
        } catch (e) {
          row.cells[fw] = errorCell(e);
          progress(errorLine(`matmul-transposes n=${n} ${label} ${fw}`, e));
        } finally {
          runner?.dispose();
        }
      }
      rows.push(row);
      checks.push(
        atMost(
          `matmul n=${n} ${label}: max error / max |value| at 64 sampled entries vs float64`,
          err,
          1e-4,
          'same A and B for every framework',
        ),
      );
    }
  }
  return { rows, checks };
}
