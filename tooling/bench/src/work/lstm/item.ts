import os from 'node:os';
import { agreement } from '../../checks';
import { type GpuCounts, gpuCounts } from '../../frameworks/gpu';
import type { LstmPlan, Plan } from '../../plan';
import { errorCell, errorLine, progress } from '../../run/outcome';
import { repeat } from '../../run/repeat';
import { median } from '../../stats';
import { fmtNumber } from '../../table';
import { type Check, type Column, DEVICE_OF, type Framework, type ItemResult, type Row } from '../../types';
import { lstmData } from './data';
import { type Tally, describeTally } from './kernel-tally';
import { PHASES, PHASE_LABEL, type Phase, type PhaseRun } from './phases';
import type { LstmData, StepFactory, StepSession } from './session';
import { tfjsLstm } from './tfjs';
import { TorchMissing, torchLstm } from './torch';
import { type TsdlLstmSession, tsdlLstm } from './tsdl';
import { lstmWeights } from './weights';

const FACTORIES: Partial<Record<Framework, StepFactory>> = {
  tsdl: tsdlLstm('cpu'),
  'tfjs-cpu': tfjsLstm('cpu'),
  'tfjs-wasm': tfjsLstm('wasm'),
  'tsdl-webgpu': tsdlLstm('webgpu'),
  'tfjs-webgpu': tfjsLstm('webgpu'),
};

const NOT_WRITTEN =
  'not run on the LSTM item: jax-js has no recurrent layer, and the item compares tsdl with TF.js layers and PyTorch';

type Values = Partial<Record<Column, number>>;

/** GPU calls of one step, as a footnote: a recurrent step is many small kernels, so their number is much of its time. */
function perStep(before: GpuCounts, after: GpuCounts): string {
  const d = (k: keyof GpuCounts) => String(after[k] - before[k]);
  return `per step: ${d('dispatches')} GPU dispatches, ${d('submits')} submits, ${d('reads')} read-backs`;
}

function hasProfile(s: StepSession): s is TsdlLstmSession {
  return typeof (s as Partial<TsdlLstmSession>).profile === 'function';
}

/** Sums tallies over steps (divided by the step count when printed). */
function addTally(into: Tally, t: Tally): void {
  for (const [k, n] of t.calls) into.calls.set(k, (into.calls.get(k) ?? 0) + n);
  for (const [k, s] of t.seconds) into.seconds.set(k, (into.seconds.get(k) ?? 0) + s);
}

/** `steps` profiled steps after the timed ones: each phase's median, and the kernels (and GPU calls) per step. */
async function profile(s: TsdlLstmSession, steps: number, fw: Framework, rows: Record<Phase, Row>): Promise<void> {
  const runs: PhaseRun[] = [];
  for (let i = 0; i < steps; i++) runs.push(await s.profile());
  const gpu = DEVICE_OF[fw] === 'gpu';
  for (const phase of PHASES) {
    const seconds = median(runs.map((r) => r.seconds[phase]));
    const tally: Tally = { calls: new Map(), seconds: new Map() };
    for (const r of runs) if (r.kernels) addTally(tally, r.kernels[phase]);
    // On a GPU a kernel call only encodes work: its host time says nothing of the device's.
    let note = describeTally(tally, steps, !gpu, fmtNumber);
    const g = runs[runs.length - 1].gpu?.[phase];
    if (g) note += `; ${g.dispatches} GPU dispatches, ${g.submits} submits, ${g.reads} read-backs`;
    rows[phase].cells[fw] = { kind: 'time', seconds, note };
    progress(`lstm profile ${fw} ${phase}: ${fmtNumber(seconds * 1000)} ms; ${note}`);
  }
}

/** PyTorch's cells: the step, and its phases with --profile. */
async function pytorch(
  p: LstmPlan,
  data: LstmData,
  row: Row,
  phaseRows: Record<Phase, Row> | null,
  first: Values,
  second: Values,
): Promise<void> {
  const threads = os.cpus().length;
  const label = 'lstm pytorch-cpu';
  try {
    const r = await torchLstm(p, data, lstmWeights(p), p.steps, threads, phaseRows ? p.steps.minRuns : 0);
    const how = `PyTorch ${r.torch} on the CPU, ${r.threads} threads (this machine's ${threads} logical cores), run as a child process that times its own steps`;
    const note = r.warmupOnly ? `${how}; one step, the first: it took over ${p.steps.soloSeconds} s` : how;
    row.cells['pytorch-cpu'] = { kind: 'time', seconds: median(r.seconds), note };
    first['pytorch-cpu'] = r.losses[0];
    if (r.losses.length > 1) second['pytorch-cpu'] = r.losses[1];
    progress(
      `${label}: ${fmtNumber(median(r.seconds) * 1000)} ms/step (${r.seconds.length} steps, torch ${r.torch}, ${r.threads} threads), first loss ${fmtNumber(r.losses[0])}`,
    );
    if (phaseRows && r.phases) {
      for (const phase of PHASES) {
        phaseRows[phase].cells['pytorch-cpu'] = { kind: 'time', seconds: median(r.phases[phase]) };
        progress(`lstm profile pytorch-cpu ${phase}: ${fmtNumber(median(r.phases[phase]) * 1000)} ms`);
      }
    }
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
 * One training step (forward, backward, Adam; binary cross-entropy) of Embedding →
 * LSTM → Dense(1, sigmoid) on random token batches, the median over steps after a
 * warm-up step, on tsdl and TF.js in this process and PyTorch in a child process
 * (with tsdl on the CPU). Every framework starts from the same weights and trains on
 * the same batches in the same order, so the first step's loss (before any update)
 * must agree to rounding, and so must the second's (after one Adam step): the
 * gradients and the update agree too (measured at the issue's sizes: spreads of 0
 * and 1.2e-7 across tsdl, TF.js cpu and wasm and PyTorch).
 */
export async function lstmItem(plan: Plan, frameworks: readonly Framework[]): Promise<ItemResult> {
  const p = plan.lstm;
  const data = lstmData(p);
  const weights = lstmWeights(p);
  const model = `Embedding(${p.vocab}, ${p.embed}) → LSTM(${p.units}) → Dense(1)`;
  const row: Row = {
    work: `LSTM train step, ${model}, batch ${p.batchSize}, sequence ${p.seqLen} (median)`,
    unit: 'ms',
    cells: {},
  };
  const phaseRows = p.profile
    ? (Object.fromEntries(
        PHASES.map((ph) => [
          ph,
          { work: `  LSTM step, ${PHASE_LABEL[ph]} (--profile, median)`, unit: 'ms', cells: {} } as Row,
        ]),
      ) as Record<Phase, Row>)
    : null;
  const first: Values = {};
  const second: Values = {};
  for (const fw of frameworks) {
    const factory = FACTORIES[fw];
    if (!factory) {
      row.cells[fw] = { kind: 'unsupported', reason: NOT_WRITTEN };
      continue;
    }
    const label = `lstm ${fw}`;
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
      const solo = samples.warmupOnly
        ? `one step, the first (with its warm-up costs): it took over ${p.steps.soloSeconds} s, so it was not repeated`
        : undefined;
      const note = [s.note, solo, calls].filter((x) => x !== undefined).join('; ') || undefined;
      row.cells[fw] = { kind: 'time', seconds: samples.median, note };
      progress(
        `${label}: ${fmtNumber(samples.median * 1000)} ms/step (${samples.seconds.length} steps)${calls ? `; ${calls}` : ''}, first loss ${fmtNumber(losses[0])}`,
      );
      if (phaseRows && hasProfile(s)) await profile(s, p.steps.minRuns, fw, phaseRows);
    } catch (e) {
      row.cells[fw] = errorCell(e);
      progress(errorLine(label, e));
    } finally {
      session?.dispose();
    }
  }
  // PyTorch is a CPU peer: compared with tsdl, so run where tsdl is.
  if (frameworks.includes('tsdl')) await pytorch(p, data, row, phaseRows, first, second);
  const checks: Check[] = [
    agreement(
      `LSTM batch ${p.batchSize}: loss of the first batch`,
      first,
      { abs: 1e-5, rel: 1e-5 },
      'same initial weights and batch, before any update: must be equal up to rounding',
    ),
    agreement(
      `LSTM batch ${p.batchSize}: loss of the second batch, after one Adam step`,
      second,
      { abs: 2e-5, rel: 2e-5 },
      'same gradients and Adam update: must be equal up to rounding',
    ),
  ];
  return { rows: [row, ...(phaseRows ? PHASES.map((ph) => phaseRows[ph]) : [])], checks };
}
