import { atMost } from '../../checks';
import type { Plan } from '../../plan';
import { errorCell, errorLine, progress } from '../../run/outcome';
import { repeat, timeOnce } from '../../run/repeat';
import { uniform } from '../../seeded';
import { relativeError } from '../../stats';
import { fmtNumber } from '../../table';
import type { Check, Framework, ItemResult, Row } from '../../types';
import { jaxJitSmallOps, jaxSmallOps } from './jax';
import { type SmallOpsFactory, smallOpsReference } from './runner';
import { tfjsSmallOps } from './tfjs';
import { tsdlSmallOps } from './tsdl';

/** Op by op, as a user's eager code runs them. */
const EAGER: Record<Framework, SmallOpsFactory> = {
  tsdl: tsdlSmallOps('cpu'),
  'tfjs-cpu': tfjsSmallOps('cpu'),
  'tfjs-wasm': tfjsSmallOps('wasm'),
  'jax-js': jaxSmallOps('wasm'),
  'tsdl-webgpu': tsdlSmallOps('webgpu'),
  'tfjs-webgpu': tfjsSmallOps('webgpu'),
  'jax-js-webgpu': jaxSmallOps('webgpu'),
};

/** The reference row: jax-js compiles the whole chain with jit (the other frameworks have no such mode). */
const JIT: Partial<Record<Framework, SmallOpsFactory>> = {
  'jax-js': jaxJitSmallOps('wasm'),
  'jax-js-webgpu': jaxJitSmallOps('webgpu'),
};

/**
 * Framework overhead per op: `steps` × x = x.add(1).mul(0.5) on a float32
 * vector of each size (inside tidy where the framework has one), synced by
 * reading the result; the median time of a chain over its 2·steps ops.
 */
export async function smallOpsItem(plan: Plan, frameworks: readonly Framework[]): Promise<ItemResult> {
  const rows: Row[] = [];
  const checks: Check[] = [];
  const { sizes, steps, policy } = plan.smallOps;
  const ops = 2 * steps;
  for (const n of sizes) {
    const x0 = uniform(n, 300 + n);
    const want = smallOpsReference(x0, steps);
    for (const [label, factories] of [
      ['eager', EAGER],
      ['jit (reference)', JIT],
    ] as const) {
      const row: Row = { work: `${steps}× add+mul, f32 [${n}], ${label} (per op)`, unit: 'µs', cells: {} };
      const err: Partial<Record<Framework, number>> = {};
      for (const fw of frameworks) {
        const factory = factories[fw];
        if (!factory) continue;
        let runner;
        try {
          runner = await factory(x0, steps);
          let last: ArrayLike<number> = [];
          const samples = await repeat(
            async () => (await timeOnce(async () => (last = await runner!.run()))) / ops,
            policy,
          );
          err[fw] = relativeError(last, want);
          row.cells[fw] = { kind: 'time', seconds: samples.median };
          progress(
            `small-ops [${n}] ${label} ${fw}: ${fmtNumber(samples.median * 1e6)} µs/op (${samples.seconds.length} runs)`,
          );
        } catch (e) {
          row.cells[fw] = errorCell(e);
          progress(errorLine(`small-ops [${n}] ${label} ${fw}`, e));
        } finally {
          runner?.dispose();
        }
      }
      if (Object.keys(row.cells).length === 0) continue;
      rows.push(row);
      checks.push(
        atMost(
          `small ops [${n}] ${label}: max error / max |value| vs float64`,
          err,
          1e-5,
          'same start values for every framework',
        ),
      );
    }
  }
  return { rows, checks };
}
