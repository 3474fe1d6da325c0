import type { Backend, GradNode, Tensor } from '@tsdl/tensor';
import type { RuleEntry } from './registry';
import { SavedTensor } from './saved';

/** Where an input's gradient goes: the node that made it (and which output), or a leaf tensor. */
export type Edge = { node: GraphNode; index: number } | { leaf: Tensor } | null;

/**
 * One recorded op in the graph. A node stays alive while a tensor it made is
 * alive or a later node depends on it (reference counts), so tidy() can
 * dispose intermediate handles without breaking backward, and disposing the
 * last result frees the whole graph.
 */
export class GraphNode implements GradNode {
  private refs = 0;
  private freed = false;
  readonly savedInputs: (SavedTensor | number | null)[];
  readonly savedOutput: SavedTensor | null;
  /** Whether each input needs a gradient (has an edge): the rule's `needs`, built once. */
  readonly needs: readonly boolean[];

  constructor(
    readonly op: string,
    readonly attrs: unknown,
    readonly entry: RuleEntry | undefined,
    inputs: readonly (Tensor | number)[],
    output: Tensor,
    readonly edges: readonly Edge[],
    readonly inputShapes: readonly (readonly number[])[],
    readonly backends: readonly (Backend | null)[],
  ) {
    const saves = entry?.saves ?? { inputs: false, output: false };
    this.savedInputs = inputs.map((x) =>
      typeof x === 'number'
        ? x
        : saves.inputs
          ? new SavedTensor(x, x.gradFn instanceof GraphNode ? x.gradFn : null)
          : null,
    );
    this.savedOutput = saves.output ? new SavedTensor(output, this) : null;
    this.needs = edges.map((e) => e !== null);
    for (const e of edges) if (e && 'node' in e) e.node.retain();
  }

  get isFreed(): boolean {
    return this.freed;
  }

  retain(): void {
    this.refs++;
  }

  /** Drops one reference; the last one frees saved tensors and releases the parents. */
  release(): void {
    if (--this.refs > 0) return;
    this.freeSaved();
    for (const e of this.edges) if (e && 'node' in e) e.node.release();
  }

  /** Frees the saved tensors (after backward, unless the graph is retained). */
  freeSaved(): void {
    if (this.freed) return;
    this.freed = true;
    for (const s of this.savedInputs) if (s instanceof SavedTensor) s.free();
    this.savedOutput?.free();
  }
}
