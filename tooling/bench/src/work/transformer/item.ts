import { activeBackend } from '@tsdl/tensor';
import os from 'node:os';
import { agreement, atMost } from '../../checks';
import { type GpuCounts, gpuCounts } from '../../frameworks/gpu';
import type { Plan, TransformerPlan } from '../../plan';
import { errorCell, errorLine, progress } from '../../run/outcome';
import { repeat } from '../../run/repeat';
import { median } from '../../stats';
import { fmtNumber } from '../../table';
import { type Check, type Column, DEVICE_OF, type Framework, type ItemResult, type Row } from '../../types';
import { TorchMissing } from '../lstm/torch';
import { gptData } from './data';
import type { GptData, StepFactory, StepSession } from './session';
import { tfjsGpt } from './tfjs';
import { torchGpt } from './torch';
import { type OptimizerCount, type TsdlGptSession, tsdlGpt } from './tsdl';
import { gptWeights } from './weights';

const FACTORIES: Partial<Record<Framework, StepFactory>> = {
  tsdl: tsdlGpt('cpu'),
  'tfjs-cpu': tfjsGpt('cpu'),
  'tfjs-wasm': tfjsGpt('wasm'),
  'tsdl-webgpu': tsdlGpt('webgpu'),
  'tfjs-webgpu': tfjsGpt('webgpu'),
};

const NOT_WRITTEN = 'not run on the transformer item: it compares tsdl with the same GPT in TF.js ops and in PyTorch';

type Values = Partial<Record<Column, number>>;

function perStep(before: GpuCounts, after: GpuCounts): string {
  const d = (k: keyof GpuCounts) => fmtNumber(after[k] - before[k]);
  return `per step: ${d('dispatches')} GPU dispatches, ${d('submits')} submits, ${d('reads')} read-backs`;
}

function isTsdl(s: StepSession): s is TsdlGptSession {
  return typeof (s as Partial<TsdlGptSession>).countOptimizer === 'function';
}

function describeOptimizer(c: OptimizerCount, gpu: boolean): string {
  const calls =
    c.groupedKernels > 0
      ? `${c.groupedKernels} multi-tensor kernel calls for ${c.groups} parameter groups`
      : `${c.kernels} kernel calls for ${c.groups} parameter groups (no multi-tensor kernel on this backend)`;
  return `AdamW update: ${calls}${gpu ? `, ${c.gpu.dispatches} GPU dispatches` : ''}`;
}

/** PyTorch on the CPU with tsdl's thread count: its cell, and its first two losses. */
async function pytorch(p: TransformerPlan, data: GptData, row: Row, first: Values, second: Values): Promise<void> {
  const label = 'transformer pytorch-cpu';
  // tsdl's CPU backend runs its kernels on this many threads; PyTorch gets the same.
  const threads = (activeBackend() as { threads?: number } | undefined)?.threads ?? os.cpus().length;
  try {
    const r = await torchGpt(p, data, gptWeights(p), p.steps, threads);
    const how = `PyTorch ${r.torch} on the CPU, torch.set_num_threads(${r.threads}) (tsdl's CPU backend threads), run as a child process that times its own steps`;
    const note = r.warmupOnly ? `${how}; one step, the first: it took over ${p.steps.soloSeconds} s` : how;
    row.cells['pytorch-cpu'] = { kind: 'time', seconds: median(r.seconds), note };
    first['pytorch-cpu'] = r.losses[0];
    if (r.losses.length > 1) second['pytorch-cpu'] = r.losses[1];
    progress(
      `${label}: ${fmtNumber(median(r.seconds) * 1000)} ms/step (${r.seconds.length} steps, torch ${r.torch}, ${r.threads} threads), first loss ${fmtNumber(r.losses[0])}`,
    );
  } catch (e) {
    if (e instanceof TorchMissing) {
      row.cells['pytorch-cpu'] = { kind: 'unsupported', reason: `PyTorch not run: ${e.message}` };
      progress(`${label}: not run: ${e.message}`);
    } else {
      row.cells['pytorch-cpu'] = errorCell(e);
      progress(errorLine(label, e));
    }
  }
}

/**
 * One training step of the char-gpt app's GPT at its batch and context (forward,
 * cross-entropy, backward, clip to norm 1, AdamW), the median over steps after a
 * warm-up, on tsdl (the app's model builder) and the same GPT in TF.js ops in this
 * process, and in PyTorch in a child process (with tsdl on the CPU). All start from the
 * same seeded weights and train on the same seeded token batches, so the first loss
 * must agree to rounding and sit near ln(vocab); the second, after one clipped AdamW
 * step, closely. On tsdl the optimizer's update is counted apart in one extra step:
 * AdamW must be one multi-tensor kernel call per parameter group on WebGPU.
 */
export async function transformerItem(plan: Plan, frameworks: readonly Framework[]): Promise<ItemResult> {
  const p = plan.transformer;
  const data = gptData(p);
  const weights = gptWeights(p);
  const model = `GPT ${p.nLayer} layers × ${p.nHead} heads, embedding ${p.nEmbd}, vocab ${p.vocab}`;
  const row: Row = {
    work: `Transformer train step (AdamW, clip 1), ${model}, batch ${p.batchSize}, context ${p.blockSize} (median)`,
    unit: 'ms',
    cells: {},
  };
  const first: Values = {};
  const second: Values = {};
  const checks: Check[] = [];
  for (const fw of frameworks) {
    const factory = FACTORIES[fw];
    if (!factory) {
      row.cells[fw] = { kind: 'unsupported', reason: NOT_WRITTEN };
      continue;
    }
    const label = `transformer ${fw}`;
    const gpu = DEVICE_OF[fw] === 'gpu';
    let session: StepSession | undefined;
    try {
      const s = (session = await factory(p, data, weights));
      const losses: number[] = [];
      let calls: string | undefined;
      const samples = await repeat(async () => {
        const before = gpuCounts();
        const r = await s.step();
        if (gpu) calls = perStep(before, gpuCounts());
        losses.push(r.loss);
        return r.seconds;
      }, p.steps);
      first[fw] = losses[0];
      if (losses.length > 1) second[fw] = losses[1];
      let opt: string | undefined;
      if (isTsdl(s)) {
        const c = await s.countOptimizer();
        opt = describeOptimizer(c, gpu);
        if (gpu) {
          checks.push({
            what: `Transformer on ${fw}: AdamW kernels per step`,
            values: { [fw]: c.groupedKernels },
            ok: c.groupedKernels === c.groups,
            detail: `one multi-tensor kernel call (elementwiseGroups) per parameter group (${c.groups}); the update made ${c.gpu.dispatches} GPU dispatches and ${c.kernels} backend method calls, bookkeeping included`,
          });
        }
      }
      const solo = samples.warmupOnly
        ? `one step, the first (with its warm-up costs): it took over ${p.steps.soloSeconds} s, so it was not repeated`
        : undefined;
      const note = [solo, calls, opt].filter((x) => x !== undefined).join('; ') || undefined;
      row.cells[fw] = { kind: 'time', seconds: samples.median, note };
      progress(
        `${label}: ${fmtNumber(samples.median * 1000)} ms/step (${samples.seconds.length} steps)${calls ? `; ${calls}` : ''}${opt ? `; ${opt}` : ''}, first loss ${fmtNumber(losses[0])}`,
      );
    } catch (e) {
      row.cells[fw] = errorCell(e);
      progress(errorLine(label, e));
    } finally {
      session?.dispose();
    }
  }
  // PyTorch is a CPU peer: compared with tsdl, so run where tsdl is.
  if (frameworks.includes('tsdl')) await pytorch(p, data, row, first, second);
  const lnV = Math.log(p.vocab);
  const offLnV: Values = Object.fromEntries(Object.entries(first).map(([k, v]) => [k, Math.abs((v as number) - lnV)]));
  checks.unshift(
    atMost(
      `Transformer: |first loss − ln(${p.vocab})|`,
      offLnV,
      0.1,
      `small initial weights give near-uniform predictions, a loss near ln(vocab) = ${lnV.toFixed(4)}`,
    ),
    agreement(
      `Transformer batch ${p.batchSize}: loss of the first batch`,
      first,
      { abs: 1e-4, rel: 0 },
      'same initial weights and batch, before any update: equal up to rounding',
    ),
    agreement(
      `Transformer batch ${p.batchSize}: loss of the second batch, after one AdamW step`,
      second,
      { abs: 2e-3, rel: 0 },
      'same gradients, clipping and AdamW: equal up to rounding, which Adam amplifies where a gradient is near 0',
    ),
  );
  return { rows: [row], checks };
}
