import type { DataId } from '../backend';
import type { DType } from '../dtype';
import type { Tensor } from '../tensor';
import type { HostStep } from './active';

/**
 * A traced step as data: the backend calls it made, in order, with every
 * storage they read named by where it comes from rather than by its id, so the
 * plan can run again on new inputs (replay.ts) and two traces can be compared.
 */

/** Where a storage a kernel reads comes from. */
export type Ref =
  /** The `index`-th storage a kernel of this step made (counted over the whole step). */
  | { readonly kind: 'made'; readonly index: number }
  /** The storage of the step's argument `index`. */
  | { readonly kind: 'arg'; readonly index: number }
  /** The storage of a tensor that existed before the step (a weight, a cached constant). */
  | { readonly kind: 'held'; readonly index: number };

/** A view a kernel received; for an argument's or a held tensor's storage, `offset` is relative to that tensor's. */
export class ViewSlot {
  constructor(
    readonly ref: Ref,
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    readonly offset: number,
  ) {}
}

/** A random kernel's key: the `index`-th key the step drew from the global generator. */
export class KeySlot {
  constructor(readonly index: number) {}
}

/** Live host values (liveValues): a replay passes what the array holds then. */
export class LiveSlot {
  constructor(readonly values: readonly number[]) {}
}

/** A kernel call: its method and its arguments with views and keys as slots. */
export interface PlannedCall {
  readonly method: string;
  readonly args: readonly unknown[];
  /** How many storages it makes (results flattened, in order). */
  readonly makes: number;
}

/** A tensor's layout, as a check that it still has the one the plan was traced with. */
export interface Layout {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly dtype: DType;
  /** Known [min, max] of an int32 storage's values (index checks were skipped on it), else null. */
  readonly range: readonly [number, number] | null;
}

/** Argument `index` shares the storage of the earlier argument `of`, starting `delta` elements after it. */
export interface ArgAlias {
  readonly index: number;
  readonly of: number;
  readonly delta: number;
}

/** Tensors that existed before the step and hold one storage the step read; offsets relative to the first's. */
export interface HeldGroup {
  readonly tensors: readonly Tensor[];
  readonly layouts: readonly Layout[];
  readonly offsets: readonly number[];
}

/** One result of the step: a view of some storage. */
export interface PlannedOutput {
  readonly view: ViewSlot;
  /** Elements of the storage (made storages only: a replay wraps a fresh one). */
  readonly storageSize: number;
  readonly range: readonly [number, number] | null;
}

/** A tensor from before the step whose storage the step replaced (assign) by the `ref`-th storage it made. */
export interface PlannedAssign {
  readonly target: Tensor;
  readonly ref: number;
  readonly dtype: DType;
  /** Elements of the made storage. */
  readonly size: number;
  readonly range: readonly [number, number] | null;
}

export interface Plan {
  readonly calls: readonly PlannedCall[];
  readonly args: readonly Layout[];
  readonly aliases: readonly ArgAlias[];
  readonly held: readonly HeldGroup[];
  /** Keys the step drew from the global generator (each used by one random kernel). */
  readonly keys: number;
  readonly outputs: readonly PlannedOutput[];
  /** What the step returned besides tensors (plain data, same every trace). */
  readonly meta: unknown;
  /** Storage replacements, in the step's order; a replay makes them after its kernels. */
  readonly assigns: readonly PlannedAssign[];
  /** What a replay runs in place of the step's JavaScript (an optimizer's step counts). */
  readonly hosts: readonly HostStep[];
  /** Per call, the made storages no later call or output reads: a replay frees them after it. */
  readonly freeAfter: readonly (readonly number[])[];
  /** Storages made in all. */
  readonly made: number;
}

/**
 * Fills in freeAfter: each made storage is freed after the last call that
 * reads it, unless an output or an assigned tensor holds it.
 */
export function lifetimes(
  calls: readonly PlannedCall[],
  outputs: readonly PlannedOutput[],
  assigns: readonly PlannedAssign[],
): number[][] {
  let made = 0;
  const producer: number[] = [];
  for (let i = 0; i < calls.length; i++) for (let j = 0; j < calls[i].makes; j++) producer[made++] = i;
  const last = producer.slice();
  const visit = (x: unknown, call: number): void => {
    if (x instanceof ViewSlot) {
      if (x.ref.kind === 'made') last[x.ref.index] = Math.max(last[x.ref.index], call);
    } else if (Array.isArray(x)) for (const v of x) visit(v, call);
    else if (isPlainObject(x)) for (const v of Object.values(x)) visit(v, call);
  };
  calls.forEach((c, i) => visit(c.args, i));
  for (const o of outputs) if (o.view.ref.kind === 'made') last[o.view.ref.index] = Infinity;
  for (const a of assigns) last[a.ref] = Infinity;
  const freeAfter: number[][] = calls.map(() => []);
  for (let m = 0; m < made; m++) if (last[m] !== Infinity) freeAfter[last[m]].push(m);
  return freeAfter;
}

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Whether two traces did the same thing: then the step's work depends only on what a plan replays. */
export function samePlan(a: Plan, b: Plan): boolean {
  if (a.calls.length !== b.calls.length || a.keys !== b.keys || a.made !== b.made) return false;
  // Host steps are closures made anew each trace: their number must match, what they do is theirs to check.
  if (a.hosts.length !== b.hosts.length || a.assigns.length !== b.assigns.length) return false;
  for (let i = 0; i < a.assigns.length; i++) {
    const x = a.assigns[i];
    const y = b.assigns[i];
    if (x.target !== y.target || x.ref !== y.ref || x.dtype !== y.dtype || x.size !== y.size) return false;
    if (!same(x.range, y.range)) return false;
  }
  if (!same(a.args, b.args) || !same(a.aliases, b.aliases) || !same(a.outputs, b.outputs) || !same(a.meta, b.meta))
    return false;
  if (a.held.length !== b.held.length) return false;
  for (let h = 0; h < a.held.length; h++) {
    const x = a.held[h];
    const y = b.held[h];
    if (x.tensors.length !== y.tensors.length || x.tensors.some((t, i) => t !== y.tensors[i])) return false;
    if (!same(x.layouts, y.layouts) || !same(x.offsets, y.offsets)) return false;
  }
  for (let i = 0; i < a.calls.length; i++) {
    const x = a.calls[i];
    const y = b.calls[i];
    if (x.method !== y.method || x.makes !== y.makes || !same(x.args, y.args)) return false;
  }
  return true;
}

/** Structural equality of plan data: slots by content, host arrays by value, live values and other objects by identity. */
function same(x: unknown, y: unknown): boolean {
  if (Object.is(x, y)) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (x instanceof LiveSlot) return y instanceof LiveSlot && x.values === y.values;
  if (x instanceof ViewSlot || x instanceof KeySlot) {
    if (Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) return false;
    return sameEntries(x as object, y as object);
  }
  if (ArrayBuffer.isView(x)) {
    if (!ArrayBuffer.isView(y) || x.constructor !== y.constructor) return false;
    const xa = x as unknown as ArrayLike<number>;
    const ya = y as unknown as ArrayLike<number>;
    if (xa.length !== ya.length) return false;
    for (let i = 0; i < xa.length; i++) if (!Object.is(xa[i], ya[i])) return false;
    return true;
  }
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!same(x[i], y[i])) return false;
    return true;
  }
  if (isPlainObject(x) && isPlainObject(y)) return sameEntries(x, y);
  return false;
}

function sameEntries(x: object, y: object): boolean {
  const kx = Object.keys(x);
  const ky = Object.keys(y);
  if (kx.length !== ky.length) return false;
  for (const k of kx) {
    if (!Object.prototype.hasOwnProperty.call(y, k)) return false;
    if (!same((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** A kernel's result as a flat list of storage ids (one id, a list, or a list of lists). */
export function flatten(result: unknown, out: DataId[] = []): DataId[] {
  if (Array.isArray(result)) for (const r of result) flatten(r, out);
  else if (result !== null && typeof result === 'object') out.push(result);
  return out;
}
