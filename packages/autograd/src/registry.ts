import type { Backend, Tensor } from '@tsdl/tensor';

/** What a gradient rule sees of the op it differentiates. */
export interface GradContext {
  /** The op's inputs (saved handles, or the JS numbers it was given). */
  readonly inputs: readonly (Tensor | number)[];
  /** The op's output. */
  readonly output: Tensor;
  /** The attributes the op recorded (axes, shapes, params …). */
  readonly attrs: any;
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
export type GradRule = (dy: Tensor, ctx: GradContext) => (Tensor | null)[];

export interface RuleEntry {
  readonly rule: GradRule;
  /** Which tensors the rule reads; the others are not kept alive for backward. */
  readonly saves: { inputs: boolean; output: boolean };
}

const rules = new Map<string, RuleEntry>();

/**
 * Ops that have no gradient: their outputs never require grad (comparisons,
 * logical ops, rounding, argmax, any/all, random draws, casts to int/bool).
 */
export const NON_DIFFERENTIABLE = new Set([
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalNot',
  'sign', 'floor', 'ceil', 'round', 'argmax', 'argmin', 'all', 'any',
  'conv2dGradInput', 'conv2dGradFilter', 'pool2dGrad', 'softmaxCrossEntropyGrad',
]);

/** A rule with the tensors it reads (both by default). */
export function rule(fn: GradRule, saves: Partial<RuleEntry['saves']> = {}): RuleEntry {
  return { rule: fn, saves: { inputs: saves.inputs ?? true, output: saves.output ?? true } };
}

export type RuleTable = Record<string, RuleEntry>;

/** Adds or replaces the gradient rule of an op (a user's own op too). */
export function registerGradient(op: string, fn: GradRule, saves: Partial<RuleEntry['saves']> = {}): void {
  rules.set(op, rule(fn, saves));
}

/** Registers a table of rules. Tables are plain exports, so bundlers keep them. */
export function registerRules(table: RuleTable): void {
  for (const [op, entry] of Object.entries(table)) rules.set(op, entry);
}

export function gradientRule(op: string): RuleEntry | undefined {
  return rules.get(op);
}

/** The names of every op with a registered gradient. */
export function differentiableOps(): string[] {
  return [...rules.keys()].sort();
}
