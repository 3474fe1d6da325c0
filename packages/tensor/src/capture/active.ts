import type { Tensor } from '../tensor';

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
  /** A tensor's storage was replaced (assign): the step changes state, so it cannot be replayed. */
  assigned(): void;
  /** The global random generator handed out `key`. */
  streamKey(key: number): void;
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
