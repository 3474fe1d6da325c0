import type { Storage } from '../storage';
import type { Tensor } from '../tensor';

/**
 * JavaScript a replay runs in place of a traced step's own (see CapturedStep):
 * an optimizer registers one while its step is traced, so a replay advances
 * its step counts and rewrites the live host values (liveValues) its kernels
 * read, such as a learning rate and the bias corrections of step t.
 */
export interface HostStep {
  /**
   * Before the replay's kernels: brings the live values up to date for this
   * step. Returns why the plan cannot run now (the step is traced again), or null.
   */
  prepare(): string | null;
  /** After the kernels ran (the hooks of one step commit in reverse order). */
  commit(): void;
  /** After a successful prepare, when the step did not happen: a later hook refused or a kernel threw. */
  rollback(): void;
}

/**
 * What the engine tells a step capture while it traces (capture/recorder.ts).
 * The engine, the tensor class and the random generator call these only while
 * a trace is active, so outside one they cost a null check.
 */
export interface TraceHooks {
  /** A tensor reached an op as an input. */
  input(t: Tensor): void;
  /** A tensor handle was made. */
  created(t: Tensor): void;
  /** `t`'s storage was replaced by `next` (assign). */
  assigned(t: Tensor, next: Storage): void;
  /** The global random generator handed out `key`. */
  streamKey(key: number): void;
  /** Code in the step that a replay must run in its place. */
  hostStep(step: HostStep): void;
}

let active: TraceHooks | null = null;

/** The trace in progress, or null. */
export function activeTrace(): TraceHooks | null {
  return active;
}

/** Starts (hooks) or ends (null) a trace. */
export function setActiveTrace(hooks: TraceHooks | null): void {
  active = hooks;
}

const live = new WeakSet<readonly number[]>();

/**
 * Marks `values`, an array of numbers a kernel takes (an update's scalars),
 * as live: a trace records the array itself rather than a copy of its
 * contents, and a replay passes the values it holds then. Whoever owns it
 * rewrites it in place before each step (in a HostStep's prepare while
 * replaying). Returns `values`.
 */
export function liveValues<T extends readonly number[]>(values: T): T {
  live.add(values);
  return values;
}

export function isLiveValues(x: object): x is readonly number[] {
  return live.has(x as readonly number[]);
}
