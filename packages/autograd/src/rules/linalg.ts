import { matmul } from '@tsdl/tensor';
import { type RuleTable, rule } from '../registry';

/**
 * matmul: dA = dY · Bᵀ and dB = Aᵀ · dY. The transposes are views, so the
 * backend sees transposed strides and needs no copy. Broadcast batch dims are
 * summed back by the engine.
 */
export const linalgRules: RuleTable = {
  matmul: rule(
    (dy, { inputs: [a, b], needs }) => [
      needs[0] ? matmul(dy, b as never, { transposeB: true }) : null,
      needs[1] ? matmul(a as never, dy, { transposeA: true }) : null,
    ],
    { output: false },
  ),
};
