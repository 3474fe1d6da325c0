/**
 * @tsdl/autograd: reverse-mode automatic differentiation. Importing anything
 * from this package installs the tape hook at @tsdl/tensor's dispatch point
 * and registers the vector-Jacobian rule of every differentiable op.
 */
import { setAutogradHooks } from '@tsdl/tensor';
import { backward } from './backward';
import { record } from './record';
import { registerRules } from './registry';
import { elementwiseRules } from './rules/elementwise';
import { linalgRules } from './rules/linalg';
import { nnRules } from './rules/nn';
import { reduceRules } from './rules/reduce';
import { sequenceRules } from './rules/sequence';
import { shapeRules } from './rules/shape';

registerRules(elementwiseRules);
registerRules(reduceRules);
registerRules(linalgRules);
registerRules(shapeRules);
registerRules(nnRules);
registerRules(sequenceRules);
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
} from './registry';
