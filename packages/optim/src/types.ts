import type { Tensor } from '@tsdl/tensor';
import type { Expr } from '@tsdl/tensor/backend';

/** A hyper-parameter value: a number (lr, eps …), a flag (nesterov …) or a pair (Adam's betas). */
export type HyperValue = number | boolean | number[];

/** The hyper-parameters of a parameter group; every optimizer has a learning rate. */
export type Hyper = { lr: number } & { [key: string]: HyperValue };

/** A parameter group as an optimizer holds it: its parameters and its full set of hyper-parameters. */
export type ParamGroup<H extends Hyper> = H & { params: Tensor[] };

/** A parameter group as the user gives it (PyTorch style): parameters, and any hyper-parameters that differ from the defaults. */
export type ParamGroupInput<H extends Hyper> = { params: Iterable<Tensor> } & Partial<H>;

/** What an optimizer accepts: parameters, or parameter groups. */
export type ParamsInput<H extends Hyper> = Iterable<Tensor> | Iterable<ParamGroupInput<H>>;

/**
 * One parameter's optimizer state: its update count, named state tensors
 * (Adam's m and v …) and named numbers (NAdam's running product of momentum
 * factors, a scalar PyTorch keeps per parameter).
 */
export interface ParamState {
  step: number;
  tensors: Record<string, Tensor>;
  values?: Record<string, number>;
}

/** One parameter's entry in a state dict (`values` only for optimizers that keep numbers per parameter). */
export type ParamStateDict = { step: number; tensors: { [name: string]: Tensor }; values?: { [name: string]: number } };

/**
 * A snapshot of an optimizer (PyTorch's `optimizer.state_dict()`): hyper-parameters
 * per group, parameters by index (in group order), and per-parameter state.
 * The tensors are handles the caller owns (views of immutable values, so later
 * steps do not change them); free them with `dispose(stateDict)` from @tsdl/tensor.
 */
export type OptimizerStateDict = {
  /** The optimizer's name ('Adam', 'SGD' …); loadStateDict checks it. */
  optimizer: string;
  /** How many times step() ran. */
  stepCount: number;
  groups: { params: number[]; hyper: { [key: string]: HyperValue } }[];
  /** State by parameter index; parameters that were never updated have none. */
  state: { [index: string]: ParamStateDict };
};

/**
 * One parameter's update as one fused elementwise kernel (float32): output 0
 * is the parameter's new value, output k the new state tensor `state[k - 1]`.
 * `tag` must name this exact expression list; parameters whose updates share
 * a tag are updated in one backend call.
 */
export interface FusedUpdate {
  readonly tag: string;
  readonly exprs: readonly Expr[];
  /** The kernel's inputs, each of the parameter's shape (or broadcast to it). */
  readonly inputs: readonly Tensor[];
  readonly scalars: readonly number[];
  /** The names of the state tensors outputs 1.. replace. */
  readonly state: readonly string[];
  /** Numbers to store in the parameter's state with the outputs (installed only if the step succeeds). */
  readonly values?: Readonly<Record<string, number>>;
}
