import type { ConformanceContext } from '../context';

/** Placeholder: filled in by the forward group. */
export function registerForward(_ctx: ConformanceContext): void {}
