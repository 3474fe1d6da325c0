import type { Backend, Tensor } from '@tsdl/tensor';
import type { FusedUpdate, ParamState } from './types';

/** A parameter's update waiting to run with the others of its kernel. */
export interface PendingUpdate {
  readonly param: Tensor;
  readonly state: ParamState;
  readonly update: FusedUpdate;
}

/**
 * The updates of one optimizer step, grouped by backend and then by kernel
 * tag: each group runs as one multi-tensor kernel. Parameters keep their
 * order within a group.
 */
export class Batches {
  private readonly byBackend = new Map<Backend, Map<string, PendingUpdate[]>>();

  add(param: Tensor, state: ParamState, update: FusedUpdate): void {
    let byTag = this.byBackend.get(param.backend);
    if (!byTag) this.byBackend.set(param.backend, (byTag = new Map()));
    let list = byTag.get(update.tag);
    if (!list) byTag.set(update.tag, (list = []));
    list.push({ param, state, update });
  }

  *all(): Iterable<PendingUpdate[]> {
    for (const byTag of this.byBackend.values()) yield* byTag.values();
  }
}
