import type { ConformanceContext } from '../context';

/** Placeholder: filled in by the tensor group. */
export function registerTensorContract(_ctx: ConformanceContext): void {}
