import type { Backend, DataId } from '../backend';
import { BackendError } from '../errors';
import { knownRange, noteValueRange } from '../ops/index-range';
import { nextKey } from '../random';
import { Storage } from '../storage';
import { Tensor } from '../tensor';
import { flatten, isPlainObject, KeySlot, type Layout, LiveSlot, type Plan, ViewSlot } from './plan';

/**
 * Why `plan` cannot run on `args` now, or null when it can: the arguments must
 * have the traced layouts (and share storages as the traced ones did), and
 * every tensor the step read from before it must be alive, keep its layout and
 * share its storage with the same tensors. An int32 storage whose index checks
 * the trace skipped (its range was known) must have a known range inside that
 * one, so the checks would pass again.
 */
export function replayBlocker(plan: Plan, args: readonly Tensor[]): string | null {
  if (args.length !== plan.args.length) return 'a different number of arguments';
  for (let i = 0; i < args.length; i++) {
    if (args[i].isDisposed) return `argument ${i + 1} is disposed`;
    if (!fits(args[i], plan.args[i])) return `argument ${i + 1} has another layout or value range`;
  }
  for (const { index, of, delta } of plan.aliases) {
    if (args[index].storage !== args[of].storage || args[index].offset - args[of].offset !== delta)
      return `argument ${index + 1} no longer shares argument ${of + 1}'s storage`;
  }
  for (const group of plan.held) {
    const first = group.tensors[0];
    for (let i = 0; i < group.tensors.length; i++) {
      const t = group.tensors[i];
      if (t.isDisposed) return 'a tensor the step reads was disposed';
      if (!fits(t, group.layouts[i])) return 'a tensor the step reads changed layout or value range';
      if (t.storage !== first.storage || t.offset - first.offset !== group.offsets[i])
        return 'tensors the step reads no longer share a storage';
    }
  }
  for (const a of plan.assigns) if (a.target.isDisposed) return 'a tensor the step assigns to was disposed';
  return null;
}

/**
 * Prepares the plan's host steps in order; if one refuses (or throws), those
 * prepared before it are rolled back and its reason returned (or its error thrown).
 */
export function prepareHosts(plan: Plan): string | null {
  for (let i = 0; i < plan.hosts.length; i++) {
    let why: string | null;
    try {
      why = plan.hosts[i].prepare();
    } catch (e) {
      rollbackHosts(plan, i);
      throw e;
    }
    if (why !== null) {
      rollbackHosts(plan, i);
      return why;
    }
  }
  return null;
}

/** Rolls back the first `count` host steps, last first. */
export function rollbackHosts(plan: Plan, count = plan.hosts.length): void {
  for (let i = count - 1; i >= 0; i--) plan.hosts[i].rollback();
}

/** Commits the host steps, last first (an optimizer's count before the code that reads it). */
export function commitHosts(plan: Plan): void {
  for (let i = plan.hosts.length - 1; i >= 0; i--) plan.hosts[i].commit();
}

function fits(t: Tensor, l: Layout): boolean {
  if (t.dtype !== l.dtype || !equal(t.shape, l.shape) || !equal(t.strides, l.strides)) return false;
  if (l.range === null) return true;
  const r = knownRange(t.storage);
  return r !== null && r[0] >= l.range[0] && r[1] <= l.range[1];
}

function equal(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Runs `plan`'s kernels on `args` (check replayBlocker first and prepare the
 * host steps), then puts the storages the step assigned into their tensors,
 * and returns the step's outputs as new tensors. It draws the step's random
 * keys from the global generator as the eager step would, so a replay gives
 * the values the eager step gives. Each storage it makes is freed after its
 * last reader; if a kernel throws, everything made so far is freed and no
 * tensor has changed.
 */
export function replay(plan: Plan, backend: Backend, args: readonly Tensor[]): Tensor[] {
  const keys: number[] = [];
  for (let k = 0; k < plan.keys; k++) keys.push(nextKey());
  const made: (DataId | undefined)[] = new Array(plan.made);
  let next = 0;
  const resolve = (slot: ViewSlot): { data: DataId; base: number } => {
    const ref = slot.ref;
    if (ref.kind === 'made') return { data: made[ref.index] as DataId, base: 0 };
    const t = ref.kind === 'arg' ? args[ref.index] : plan.held[ref.index].tensors[0];
    return { data: t.storage.data, base: t.offset };
  };
  const build = (x: unknown): unknown => {
    if (x === null || typeof x !== 'object' || isStatic(x)) return x;
    if (x instanceof ViewSlot) {
      const { data, base } = resolve(x);
      return { data, dtype: x.dtype, shape: x.shape, strides: x.strides, offset: base + x.offset };
    }
    if (x instanceof KeySlot) return keys[x.index];
    if (x instanceof LiveSlot) return x.values.slice();
    // Host values: a fresh copy each time, since a backend may keep the array it is given.
    if (ArrayBuffer.isView(x)) return (x as unknown as { slice(): unknown }).slice();
    if (Array.isArray(x)) return x.map(build);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = build(v);
    return out;
  };
  const methods = backend as unknown as Record<string, (...a: unknown[]) => unknown>;
  try {
    for (let i = 0; i < plan.calls.length; i++) {
      const call = plan.calls[i];
      const result = methods[call.method].apply(backend, call.args.map(build));
      const before = next;
      for (const d of flatten(result)) made[next++] = d;
      if (next - before !== call.makes)
        throw new BackendError(
          `step replay: the backend's ${call.method} made ${next - before} storages, ${call.makes} when traced`,
        );
      for (const m of plan.freeAfter[i]) {
        backend.free(made[m] as DataId);
        made[m] = undefined;
      }
    }
  } catch (e) {
    for (const d of made) if (d !== undefined) backend.free(d);
    throw e;
  }
  const storages = new Map<number, Storage>();
  const outs = outputs(plan, backend, made, args, storages);
  // After the outputs: one that views a tensor the step assigns to saw its storage from before.
  for (const a of plan.assigns) {
    const storage = storageOf(storages, backend, made, a.ref, a.dtype, a.size);
    a.target.replaceStorage(storage);
    if (a.range !== null) noteValueRange(a.target, a.range[0], a.range[1]);
  }
  return outs;
}

/** The Storage of made storage `index`: one object, retained, for every tensor that takes it. */
function storageOf(
  storages: Map<number, Storage>,
  backend: Backend,
  made: readonly (DataId | undefined)[],
  index: number,
  dtype: Storage['dtype'],
  size: number,
): Storage {
  const existing = storages.get(index);
  if (existing) return existing.retain();
  const storage = new Storage(backend, made[index] as DataId, dtype, size);
  storages.set(index, storage);
  return storage;
}

/** Plan data without slots or host arrays (an expression tree, a shape), passed to kernels as traced. */
const staticParts = new WeakMap<object, boolean>();

function isStatic(x: object): boolean {
  let known = staticParts.get(x);
  if (known === undefined) {
    if (x instanceof ViewSlot || x instanceof KeySlot || x instanceof LiveSlot || ArrayBuffer.isView(x)) known = false;
    else if (Array.isArray(x)) known = x.every((v) => v === null || typeof v !== 'object' || isStatic(v));
    else if (isPlainObject(x))
      known = Object.values(x).every((v) => v === null || typeof v !== 'object' || isStatic(v));
    // Other objects are passed as traced (see Recorder.slot).
    else known = true;
    staticParts.set(x, known);
  }
  return known;
}

/** The outputs as tensors: a made storage becomes one Storage shared by the outputs that view it. */
function outputs(
  plan: Plan,
  backend: Backend,
  made: (DataId | undefined)[],
  args: readonly Tensor[],
  storages: Map<number, Storage>,
): Tensor[] {
  return plan.outputs.map((o) => {
    const v = o.view;
    let storage: Storage;
    let base = 0;
    if (v.ref.kind === 'made') {
      storage = storageOf(storages, backend, made, v.ref.index, v.dtype, o.storageSize);
    } else {
      const t = v.ref.kind === 'arg' ? args[v.ref.index] : plan.held[v.ref.index].tensors[0];
      storage = t.storage.retain();
      base = t.offset;
    }
    const t = new Tensor(storage, v.shape, v.strides, base + v.offset, v.dtype);
    if (o.range !== null) noteValueRange(t, o.range[0], o.range[1]);
    return t;
  });
}
