import type { Tensor } from '../tensor';
import { activeTrace } from './active';
import { type Plan, samePlan } from './plan';
import { Recorder } from './recorder';
import { commitHosts, prepareHosts, replay, replayBlocker, rollbackHosts } from './replay';

/** What a step returns: its result tensors, and plain data a replay returns as traced. */
export interface StepResult {
  tensors: Tensor[];
  meta?: unknown;
}

export interface CaptureStats {
  /** Steps run eagerly while being recorded. */
  traces: number;
  /** Steps run by replaying a plan. */
  replays: number;
  /** Steps run eagerly without recording (after too many traces that could not be replayed). */
  eager: number;
  /** Why the last trace could not be used, or the last replay could not run; null if none. */
  refusal: string | null;
}

/** Consecutive traces that did not confirm a plan, after which the step runs plainly eager. */
const MAX_TRACES = 4;
/** Argument signatures (and guards) kept at once; a step fed ever-new shapes would otherwise grow without bound. */
const MAX_SIGNATURES = 8;

interface Entry {
  plan: Plan | null;
  last: Plan | null;
  traces: number;
}

/**
 * A training (or any) step that runs eagerly while it is traced and, once two
 * consecutive traces on arguments of one signature did the same kernels on the
 * same tensors, replays that plan: the kernels alone, none of the ops'
 * JavaScript (shape checks, autograd's graph). Like a traced `tf.function`,
 * JavaScript in the step runs only while tracing; unlike one, a step is
 * replayed only after a second trace has shown that its kernels do not depend
 * on anything a replay leaves out, and the random keys are drawn anew each
 * replay from the global generator, so a replay computes exactly what the
 * eager step would.
 *
 * A step may change tensors from before it by assign (an optimizer's update
 * of the weights and its moments): a replay makes the same assigns after its
 * kernels. JavaScript a replay must still run (an optimizer's step count, the
 * scalars of step t) registers as a HostStep while traced. A step is never
 * replayed if it reads values back to the host or works on another backend;
 * the step then stays eager. A replay makes no tensor handles but the
 * step's results: a tensor the step makes and keeps for later must be a
 * result, or assigned into a tensor from before the step (state the next step
 * reads in a new tensor differs from trace to trace, so it is never
 * replayed). `run` must be called where the step's result tensors are
 * disposed (inside tidy).
 */
export class CapturedStep {
  readonly stats: CaptureStats = { traces: 0, replays: 0, eager: 0, refusal: null };
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly step: (args: readonly Tensor[]) => StepResult) {}

  /**
   * Runs the step on `args`. `guard` names JavaScript state the step's kernels
   * depend on (which weights are trainable, say): steps under different guards
   * are traced apart.
   */
  run(args: readonly Tensor[], guard = ''): StepResult & { replayed: boolean } {
    const backend = args.length > 0 ? args[0].storage.backend : null;
    // A step inside another's trace runs eagerly: the outer trace records its kernels.
    if (backend === null || activeTrace() !== null || args.some((a) => a.storage.backend !== backend))
      return { ...this.step(args), replayed: false };
    const key = signature(args, guard);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (this.entries.size >= MAX_SIGNATURES) this.entries.clear();
      entry = { plan: null, last: null, traces: 0 };
      this.entries.set(key, entry);
    }
    if (entry.plan !== null) {
      const plan = entry.plan;
      const blocker = replayBlocker(plan, args) ?? prepareHosts(plan);
      if (blocker === null) {
        let tensors: Tensor[];
        try {
          tensors = replay(plan, backend, args);
        } catch (e) {
          rollbackHosts(plan);
          throw e;
        }
        commitHosts(plan);
        this.stats.replays++;
        return { tensors, meta: plan.meta, replayed: true };
      }
      this.stats.refusal = blocker;
      entry.plan = null;
      entry.traces = 0;
    }
    if (entry.traces >= MAX_TRACES) {
      this.stats.eager++;
      return { ...this.step(args), replayed: false };
    }
    entry.traces++;
    this.stats.traces++;
    const recorder = new Recorder(backend, args);
    recorder.start();
    let result: StepResult;
    try {
      result = this.step(args);
    } finally {
      recorder.stop();
    }
    const plan = recorder.finish(result.tensors, result.meta ?? null);
    if (plan === null) {
      this.stats.refusal = recorder.refused;
      entry.last = null;
    } else if (entry.last !== null && samePlan(entry.last, plan)) {
      entry.plan = plan;
      entry.last = null;
      entry.traces = 0;
    } else {
      entry.last = plan;
    }
    return { ...result, replayed: false };
  }
}

function signature(args: readonly Tensor[], guard: string): string {
  let s = guard;
  for (const a of args) s += `|${a.dtype}:${a.shape.join(',')}:${a.strides.join(',')}`;
  return s;
}
