import { agreement } from '../../checks';
import { firstSamples, mnistTrain } from '../../data';
import type { Plan } from '../../plan';
import { errorCell, errorLine, progress } from '../../run/outcome';
import { repeat } from '../../run/repeat';
import type { SessionFactory, TrainSession } from '../../run/session';
import { fmtNumber } from '../../table';
import type { Framework, ItemResult, Row } from '../../types';
import { jaxCnn } from './jax';
import { tfjsCnn } from './tfjs';
import { tsdlCnn } from './tsdl';
import { cnnWeights } from './weights';

const FACTORIES: Record<Framework, SessionFactory> = {
  tsdl: tsdlCnn('cpu'),
  'tfjs-cpu': tfjsCnn('cpu'),
  'tfjs-wasm': tfjsCnn('wasm'),
  'jax-js': jaxCnn('wasm'),
  'tsdl-webgpu': tsdlCnn('webgpu'),
  'tfjs-webgpu': tfjsCnn('webgpu'),
  'jax-js-webgpu': jaxCnn('webgpu'),
};

/**
 * One training step of the apps/mnist-cnn convnet (forward, backward, Adam)
 * on one batch of real digits: the median over steps after a warm-up step.
 * The warm-up's loss is computed from the shared initial weights before any
 * update and without dropout, so every framework must report the same number.
 */
export async function cnnItem(plan: Plan, frameworks: readonly Framework[]): Promise<ItemResult> {
  const { batchSize } = plan.cnn;
  const data = firstSamples(await mnistTrain(plan.dataDir), batchSize);
  const row: Row = { work: `MNIST CNN train step, batch ${batchSize} (median)`, unit: 'ms', cells: {} };
  const firstLoss: Partial<Record<Framework, number>> = {};
  for (const fw of frameworks) {
    let session: TrainSession | undefined;
    try {
      const s = (session = await FACTORIES[fw](data, batchSize, cnnWeights()));
      const samples = await repeat(async () => {
        const r = await s.train(1);
        firstLoss[fw] ??= r.loss;
        return r.seconds;
      }, plan.cnn.steps);
      const note = samples.warmupOnly
        ? `one step, the first (with its warm-up costs): it took over ${plan.cnn.steps.soloSeconds} s, so it was not repeated`
        : undefined;
      row.cells[fw] = { kind: 'time', seconds: samples.median, note };
      progress(
        `cnn batch ${batchSize} ${fw}: ${fmtNumber(samples.median * 1000)} ms/step (${samples.seconds.length} steps), first loss ${fmtNumber(firstLoss[fw] as number)}`,
      );
    } catch (e) {
      row.cells[fw] = errorCell(e);
      progress(errorLine(`cnn batch ${batchSize} ${fw}`, e));
    } finally {
      session?.dispose();
    }
  }
  const check = agreement(
    `CNN batch ${batchSize}: loss of the first batch`,
    firstLoss,
    { abs: 1e-4, rel: 1e-4 },
    'same initial weights and batch, no dropout: must be equal up to rounding',
  );
  return { rows: [row], checks: [check] };
}
