import type { RuleTable } from '../registry';
import { elementwiseRules } from './elementwise';
import { layerNormRules } from './layer-norm';
import { linalgRules } from './linalg';
import { nnRules } from './nn';
import { reduceRules } from './reduce';
import { sequenceRules } from './sequence';
import { shapeRules } from './shape';

/**
 * The vector-Jacobian rule of every differentiable built-in op. Typed as RuleTable, so
 * an op added to tensor's OpAttrs without a rule in one of these files (or a place in
 * NonDifferentiableOp) fails tsc here, and each rule's `attrs` has its op's type.
 */
export const RULES: RuleTable = {
  ...elementwiseRules,
  ...reduceRules,
  ...linalgRules,
  ...shapeRules,
  ...nnRules,
  ...layerNormRules,
  ...sequenceRules,
};
