import type { ConformanceContext } from '../context';
import { registerCapturedStep } from './captured-step';
import { registerContract } from './contract';
import { registerErrorTable } from './errors';
import { registerFormat } from './format';
import { registerMemory } from './memory';
import { registerPromotion } from './promotion';
import { registerSeeded } from './seeded';

/**
 * The tensor contract every backend must keep: the bad-call error table,
 * memory accounting, the registry and movement between backends, assign,
 * printing, dtype promotion, seeded randomness and captured steps.
 */
export function registerTensorContract(ctx: ConformanceContext): void {
  registerErrorTable(ctx);
  registerMemory(ctx);
  registerContract(ctx);
  registerFormat(ctx);
  registerPromotion(ctx);
  registerSeeded(ctx);
  registerCapturedStep(ctx);
}
