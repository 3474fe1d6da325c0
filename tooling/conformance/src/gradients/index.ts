import type { ConformanceContext } from '../context';

/** Placeholder: filled in by the gradients group. */
export function registerGradients(_ctx: ConformanceContext): void {}
