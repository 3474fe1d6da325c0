/**
 * @tsdl/optim: optimizers (SGD, Adam, AdamW, RMSprop, Adagrad, NAdam, RAdam,
 * Adamax, Adadelta), learning-rate schedules and gradient clipping, with
 * PyTorch's semantics. Each parameter update is one fused elementwise kernel,
 * run without recording gradients.
 */
export { Optimizer } from './optimizer';
export type {
  Hyper,
  HyperValue,
  ParamGroup,
  ParamGroupInput,
  ParamsInput,
  ParamState,
  FusedUpdate,
  ParamStateDict,
  OptimizerStateDict,
} from './types';
export { SGD, type SGDHyper, type SGDOptions } from './optimizers/sgd';
export { Adam, AdamBase, type AdamHyper, type AdamOptions } from './optimizers/adam';
export { AdamW } from './optimizers/adamw';
export { RMSprop, type RMSpropHyper, type RMSpropOptions } from './optimizers/rmsprop';
export { Adagrad, type AdagradHyper, type AdagradOptions } from './optimizers/adagrad';
export { NAdam, type NAdamHyper, type NAdamOptions } from './optimizers/nadam';
export { RAdam, type RAdamHyper, type RAdamOptions } from './optimizers/radam';
export { Adamax, type AdamaxHyper, type AdamaxOptions } from './optimizers/adamax';
export { Adadelta, type AdadeltaHyper, type AdadeltaOptions } from './optimizers/adadelta';
export { LRScheduler, type SchedulableOptimizer, type SchedulerStateDict } from './schedules/scheduler';
export { StepLR } from './schedules/step-lr';
export { ExponentialLR } from './schedules/exponential-lr';
export { CosineAnnealingLR, type CosineAnnealingOptions } from './schedules/cosine-annealing-lr';
export { LinearLR, type LinearLROptions } from './schedules/linear-lr';
export { ConstantLR, type ConstantLROptions } from './schedules/constant-lr';
export { MultiStepLR, type MultiStepLROptions } from './schedules/multi-step-lr';
export { PolynomialLR, type PolynomialLROptions } from './schedules/polynomial-lr';
export { LambdaLR, type LrLambda } from './schedules/lambda-lr';
export { CosineAnnealingWarmRestarts, type CosineAnnealingWarmRestartsOptions } from './schedules/cosine-warm-restarts';
export { OneCycleLR, type OneCycleLROptions } from './schedules/one-cycle-lr';
export { SequentialLR, type SequentialLROptions, type SequentialLRStateDict } from './schedules/sequential-lr';
export {
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  type ReduceLROnPlateauStateDict,
} from './schedules/reduce-lr-on-plateau';
export {
  decayGroups,
  defaultNoDecay,
  isEmbedding,
  type DecayGroup,
  type DecayGroupsOptions,
  type NamedModule,
  type NoDecayRule,
} from './param-groups';
export { clipGradNorm, clipGradNormAsync, clipGradValue, type ClipGradNormOptions } from './clip';
