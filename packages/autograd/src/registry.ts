import type { Backend, Tensor } from '@tsdl/tensor';
import type { ExtensionOpName, OpAttrs, OpName } from '@tsdl/tensor/backend';

/** The attributes op `K` records: typed for a built-in op (tensor's OpAttrs), the op's own for an extension. */
export type AttrsOf<K extends string> = K extends OpName ? OpAttrs[K] : any;

/** What a gradient rule sees of the op it differentiates. */
export interface GradContext<K extends string = string> {
  /** The op's inputs (saved handles, or the JS numbers it was given). */
  readonly inputs: readonly (Tensor | number)[];
  /** The op's output. */
  readonly output: Tensor;
  /** The attributes the op recorded (axes, shapes, params …). */
  readonly attrs: AttrsOf<K>;
  /** Shapes of the inputs (numbers have shape []). */
  readonly inputShapes: readonly (readonly number[])[];
  /** Whether each input needs a gradient; a rule may skip work for the others. */
  readonly needs: readonly boolean[];
  /** The backend each tensor input lives on. */
  readonly backends: readonly (Backend | null)[];
}

/**
 * A vector-Jacobian product: given dL/d(output), return dL/d(input) for each
 * input (null where there is none). Written with the public op API, so it runs
 * on every backend. A returned gradient may have a broadcast shape: the engine
 * sums it back to the input's shape.
 */
export type GradRule<K extends string = string> = (dy: Tensor, ctx: GradContext<K>) => (Tensor | null)[];

export interface RuleEntry<K extends string = string> {
  readonly rule: GradRule<K>;
  /** Which tensors the rule reads; the others are not kept alive for backward. */
  readonly saves: { inputs: boolean; output: boolean };
}

/**
 * Ops that have no gradient: their outputs never require grad (comparisons,
 * logical ops, rounding, argmax, any/all, and the gradient kernels themselves).
 */
export type NonDifferentiableOp =
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'logicalAnd'
  | 'logicalOr'
  | 'logicalNot'
  | 'sign'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'argmax'
  | 'argmin'
  | 'all'
  | 'any'
  | 'conv2dGradInput'
  | 'conv2dGradFilter'
  | 'pool2dGrad'
  | 'softmaxCrossEntropyGrad'
  | 'layerNormGrad';

/** Every other built-in op has a rule: the table below is typed over these. */
export type DifferentiableOp = Exclude<OpName, NonDifferentiableOp>;

/**
 * The rule of every differentiable built-in op, keyed by its name with its attributes
 * typed: an op added to tensor's OpAttrs without a rule here (or a place in
 * NonDifferentiableOp) fails tsc.
 */
export type RuleTable = { readonly [K in DifferentiableOp]: RuleEntry<K> };

// A record, so the set holds exactly the NonDifferentiableOp names.
const NON_DIFFERENTIABLE_OPS: Record<NonDifferentiableOp, true> = {
  eq: true,
  ne: true,
  lt: true,
  le: true,
  gt: true,
  ge: true,
  logicalAnd: true,
  logicalOr: true,
  logicalNot: true,
  sign: true,
  floor: true,
  ceil: true,
  round: true,
  argmax: true,
  argmin: true,
  all: true,
  any: true,
  conv2dGradInput: true,
  conv2dGradFilter: true,
  pool2dGrad: true,
  softmaxCrossEntropyGrad: true,
  layerNormGrad: true,
};

export const NON_DIFFERENTIABLE: ReadonlySet<string> = new Set(Object.keys(NON_DIFFERENTIABLE_OPS));

const rules = new Map<string, RuleEntry>();

/** A rule with the tensors it reads (both by default); `K` comes from the table entry it fills. */
export function rule<K extends string>(fn: GradRule<K>, saves: Partial<RuleEntry['saves']> = {}): RuleEntry<K> {
  return { rule: fn, saves: { inputs: saves.inputs ?? true, output: saves.output ?? true } };
}

/**
 * Adds or replaces the gradient rule of an op: a built-in one, or a user's own, named
 * 'package:op' as its dispatch is.
 */
export function registerGradient<K extends OpName | ExtensionOpName>(
  op: K,
  fn: GradRule<K>,
  saves: Partial<RuleEntry['saves']> = {},
): void {
  rules.set(op, rule(fn, saves) as RuleEntry);
}

/** Registers the built-in rule table. Tables are plain exports, so bundlers keep them. */
export function registerRules(table: RuleTable): void {
  for (const [op, entry] of Object.entries(table)) rules.set(op, entry as RuleEntry);
}

export function gradientRule(op: string): RuleEntry | undefined {
  return rules.get(op);
}

/** The names of every op with a registered gradient. */
export function differentiableOps(): string[] {
  return [...rules.keys()].sort();
}
