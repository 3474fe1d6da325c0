import type { AttrKind } from '../graph/attributes';
import type { GraphNode } from '../graph/node';
import type { RunContext } from '../runtime/context';
import type { HostValue, Value } from '../runtime/value';

/** Absent optional inputs are undefined. */
export type Inputs = readonly (Value | undefined)[];
export type HostInputs = readonly (HostValue | undefined)[];

/**
 * One ONNX operator. `attrs` lists the attributes it understands with their
 * kinds (any other is reported as unsupported at load, so a meaning tsdl would
 * ignore never runs silently). `check` reports unsupported attribute values at
 * load. `host` computes on the host when every input is there (shape
 * arithmetic), returning null to leave a large result to `run`, which builds
 * the result with tsdl ops.
 */
export interface OpSpec {
  attrs: Readonly<Record<string, AttrKind>>;
  /** The fewest and most inputs; the first `min` must be given. */
  inputs: readonly [number, number];
  /** The fewest and most outputs. */
  outputs?: readonly [number, number];
  check?(node: GraphNode, opset: number): string[];
  host?(node: GraphNode, inputs: HostInputs, ctx: RunContext): HostValue[] | null;
  run(node: GraphNode, inputs: Inputs, ctx: RunContext): Value[];
}

/** A required input (the loader checked it is given). */
export function req(inputs: Inputs, i: number): Value {
  return inputs[i] as Value;
}

export function reqHost(inputs: HostInputs, i: number): HostValue {
  return inputs[i] as HostValue;
}
