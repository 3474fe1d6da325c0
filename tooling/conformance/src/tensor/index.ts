import type { ConformanceContext } from '../context';
import { registerErrorTable } from './errors';
import { registerMemory } from './memory';

/**
 * The tensor contract every backend must keep: the bad-call error table,
 * memory accounting, the registry, movement between backends, printing,
 * dtype promotion, seeded randomness and assign.
 */
export function registerTensorContract(ctx: ConformanceContext): void {
  registerErrorTable(ctx);
  registerMemory(ctx);
}
