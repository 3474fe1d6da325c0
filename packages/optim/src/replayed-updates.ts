import type { Tensor } from '@tsdl/tensor';
import type { HostStep } from '@tsdl/tensor/internal';
import type { FusedUpdate, Hyper, ParamGroup, ParamState } from './types';

/** One parameter's update as a traced step ran it: `scalars` is the live array its kernel read. */
export interface TracedUpdate {
  readonly param: Tensor;
  readonly group: ParamGroup<Hyper>;
  readonly state: ParamState;
  readonly tag: string;
  readonly inputs: readonly Tensor[];
  readonly grad: Tensor;
  readonly scalars: number[];
}

/** The update `traced.param` would get at `next` (its step count advanced), or null if its state was replaced. */
export type Recompute = (traced: TracedUpdate, next: ParamState) => FusedUpdate | void | null;

/**
 * What a replay of a captured step runs in place of an optimizer's step()
 * (CapturedStep, HostStep): the update's kernels and assigns are in the plan,
 * so this only computes each parameter's scalars for the next step count into
 * the live arrays those kernels read, and then advances the counts. The
 * scalars come from the optimizer's own update(), so a learning rate or a
 * beta changed between steps is taken as an eager step would take it; an
 * update that would now run another kernel, or read other state tensors,
 * refuses the replay (the step is traced again).
 */
export class ReplayedUpdates implements HostStep {
  private values: (Readonly<Record<string, number>> | undefined)[] = [];

  constructor(
    private readonly name: string,
    private readonly traced: readonly TracedUpdate[],
    private readonly recompute: Recompute,
    private readonly counted: () => void,
  ) {}

  prepare(): string | null {
    const values: (Readonly<Record<string, number>> | undefined)[] = [];
    for (const e of this.traced) {
      const st = e.state;
      const u = this.recompute(e, { step: st.step + 1, tensors: st.tensors, values: st.values });
      if (!u || u.tag !== e.tag || u.inputs.length !== e.inputs.length || u.scalars.length !== e.scalars.length)
        return `${this.name}: the update of a parameter changed kernel`;
      // The gradient is made by the step itself; every other input must be the tensor traced.
      for (let k = 0; k < u.inputs.length; k++)
        if (e.inputs[k] !== e.grad && u.inputs[k] !== e.inputs[k]) return `${this.name}: its state tensors changed`;
      for (let k = 0; k < u.scalars.length; k++) e.scalars[k] = u.scalars[k];
      values.push(u.values);
    }
    this.values = values;
    return null;
  }

  commit(): void {
    this.traced.forEach((e, i) => {
      e.state.step++;
      const v = this.values[i];
      if (v) e.state.values = { ...e.state.values, ...v };
    });
    this.values = [];
    this.counted();
  }

  rollback(): void {
    this.values = [];
  }
}
