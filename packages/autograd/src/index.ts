/**
 * @tsdl/autograd: reverse-mode automatic differentiation. Importing anything
 * from this package installs the tape hook at @tsdl/tensor's dispatch point
 * and registers the vector-Jacobian rule of every differentiable op.
 */
import { setAutogradHooks } from '@tsdl/tensor/internal';
import { backward } from './backward';
import { record } from './record';
import { registerRules } from './registry';
import { RULES } from './rules/index';

registerRules(RULES);
setAutogradHooks({ record, backward });

export { backward, type BackwardOptions } from './backward';
export { noGrad, enableGrad, grad, valueAndGrad, gradients } from './api';
export {
  registerGradient,
  gradientRule,
  differentiableOps,
  NON_DIFFERENTIABLE,
  type GradRule,
  type GradContext,
  type RuleTable,
  type DifferentiableOp,
  type NonDifferentiableOp,
} from './registry';
