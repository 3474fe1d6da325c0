import type { Backend, DataId, View } from '../backend';
import { knownRange } from '../ops/index-range';
import type { Storage } from '../storage';
import type { Tensor } from '../tensor';
import { type HostStep, isLiveValues, setActiveTrace, type TraceHooks } from './active';
import { METHOD_ROLES, TRACED_METHODS } from './backend-methods';
import {
  type ArgAlias,
  flatten,
  isPlainObject,
  KeySlot,
  type Layout,
  lifetimes,
  LiveSlot,
  type Plan,
  type PlannedAssign,
  type PlannedCall,
  type PlannedOutput,
  type Ref,
  ViewSlot,
} from './plan';

/**
 * Records one eager run of a step: every kernel the backend runs, with the
 * storages it reads traced back to the step's arguments, to tensors that
 * existed before the step, or to earlier kernels of the step, and every
 * storage the step puts into a tensor from before it (assign). Anything a
 * replay could not repeat exactly makes the trace unusable (`refused` says
 * why): a read back to the host, an assign of a storage the step did not make,
 * a storage of unknown origin, work on another backend, a random key drawn
 * but not used by exactly one random kernel.
 */
export class Recorder implements TraceHooks {
  /** Why this trace cannot become a plan, or null while it can. */
  refused: string | null = null;
  private readonly calls: PlannedCall[] = [];
  private readonly made = new Map<DataId, number>();
  private madeCount = 0;
  private readonly argOf = new Map<DataId, number>();
  private readonly aliases: ArgAlias[] = [];
  private readonly argLayouts: Layout[];
  private readonly argOffsets: number[];
  private readonly heldOf = new Map<DataId, number>();
  private readonly held: { tensors: Tensor[]; layouts: Layout[]; offsets: number[] }[] = [];
  private readonly createdHere = new WeakSet<Tensor>();
  private readonly assigns: { target: Tensor; ref: number; storage: Storage }[] = [];
  private readonly hosts: HostStep[] = [];
  private readonly keys: number[] = [];
  private readonly keyUses: number[] = [];
  private readonly saved = new Map<string, PropertyDescriptor | undefined>();

  constructor(
    private readonly backend: Backend,
    private readonly args: readonly Tensor[],
  ) {
    args.forEach((a, i) => {
      const d = a.storage.data;
      const first = this.argOf.get(d);
      // An autoencoder's fit(x, x): views of either resolve to the first, so a replay needs the same sharing.
      if (first !== undefined) this.aliases.push({ index: i, of: first, delta: a.offset - args[first].offset });
      else this.argOf.set(d, i);
    });
    this.argLayouts = args.map(layoutOf);
    this.argOffsets = args.map((a) => a.offset);
  }

  /**
   * Wraps the backend's methods and makes this the active trace; `stop` undoes both. A
   * backend whose methods cannot be replaced (frozen, or read-only properties) is not
   * traced: the step runs eagerly.
   */
  start(): void {
    const b = this.backend as unknown as Record<string, unknown>;
    for (const name of TRACED_METHODS) {
      const original = b[name];
      if (typeof original !== 'function') continue;
      const own = Object.getOwnPropertyDescriptor(b, name);
      const kernel = METHOD_ROLES[name] === 'kernel';
      const wrapper = (...args: unknown[]) => {
        if (!kernel) this.refuse(`the step called the backend's ${name}`);
        else if (this.refused === null) return this.call(name, original as (...a: unknown[]) => unknown, args);
        return (original as (...a: unknown[]) => unknown).apply(this.backend, args);
      };
      try {
        Object.defineProperty(b, name, { value: wrapper, writable: true, configurable: true });
      } catch {
        this.refuse(`the backend's ${name} cannot be wrapped`);
        break;
      }
      this.saved.set(name, own);
    }
    setActiveTrace(this);
  }

  stop(): void {
    setActiveTrace(null);
    const b = this.backend as unknown as Record<string, unknown>;
    for (const [name, desc] of this.saved) {
      if (desc === undefined) delete b[name];
      else Object.defineProperty(b, name, desc);
    }
    this.saved.clear();
  }

  refuse(why: string): void {
    this.refused ??= why;
  }

  // ---- TraceHooks --------------------------------------------------------------

  input(t: Tensor): void {
    if (this.refused !== null || this.createdHere.has(t)) return;
    const s = t.storage;
    if (s.backend !== this.backend) return this.refuse('an op ran on another backend');
    const d = s.data;
    if (this.made.has(d) || this.argOf.has(d)) return;
    let h = this.heldOf.get(d);
    if (h === undefined) {
      h = this.held.length;
      this.heldOf.set(d, h);
      this.held.push({ tensors: [], layouts: [], offsets: [] });
    }
    const group = this.held[h];
    if (group.tensors.includes(t)) return;
    group.tensors.push(t);
    group.layouts.push(layoutOf(t));
    group.offsets.push(t.offset - (group.tensors.length > 1 ? group.tensors[0].offset : t.offset));
  }

  created(t: Tensor): void {
    this.createdHere.add(t);
    if (t.storage.backend !== this.backend) this.refuse('an op made a tensor on another backend');
  }

  assigned(t: Tensor, next: Storage): void {
    // A tensor of the step's own is read by storage like any other: nothing to replay.
    if (this.refused !== null || this.createdHere.has(t)) return;
    // A replay gets new arguments: the plan's target would be the traced one.
    if (this.args.includes(t)) return this.refuse('the step assigned to one of its arguments');
    const ref = this.made.get(next.data);
    if (ref === undefined) return this.refuse('the step assigned a storage it did not make to a tensor from before it');
    this.assigns.push({ target: t, ref, storage: next });
  }

  hostStep(step: HostStep): void {
    this.hosts.push(step);
  }

  streamKey(key: number): void {
    this.keys.push(key);
    this.keyUses.push(0);
  }

  // ---- recording ----------------------------------------------------------------

  private call(method: string, original: (...a: unknown[]) => unknown, args: unknown[]): unknown {
    const slots = args.map((a, i) => (method === 'random' && i === 2 ? this.keySlot(a) : this.slot(a)));
    const result = original.apply(this.backend, args);
    let makes = 0;
    for (const d of flatten(result)) {
      this.made.set(d, this.madeCount++);
      makes++;
    }
    this.calls.push({ method, args: slots, makes });
    return result;
  }

  private keySlot(key: unknown): unknown {
    const i = typeof key === 'number' ? this.keys.lastIndexOf(key) : -1;
    if (i < 0) return key;
    this.keyUses[i]++;
    return new KeySlot(i);
  }

  /** An argument as plan data: views as slots, host arrays copied (live ones named), plain data as is. */
  private slot(x: unknown): unknown {
    if (x === null || typeof x !== 'object') return x;
    if (isView(x)) return this.viewSlot(x, x.offset);
    if (isLiveValues(x)) return new LiveSlot(x);
    if (ArrayBuffer.isView(x)) return (x as unknown as { slice(): unknown }).slice();
    if (Array.isArray(x)) return x.map((v) => this.slot(v));
    if (isPlainObject(x)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x)) out[k] = this.slot(v);
      return out;
    }
    if (this.made.has(x) || this.argOf.has(x) || this.heldOf.has(x))
      this.refuse('a kernel took a storage id, not a view');
    // Anything else is compared by identity, so a fresh object each step keeps the step eager.
    return x;
  }

  private viewSlot(
    v: { data: DataId; dtype: View['dtype']; shape: readonly number[]; strides: readonly number[] },
    offset: number,
  ): ViewSlot {
    const ref = this.refOf(v.data);
    let base = 0;
    if (ref.kind === 'arg') base = this.argOffsets[ref.index];
    else if (ref.kind === 'held' && ref.index >= 0) base = this.held[ref.index].tensors[0].offset;
    return new ViewSlot(ref, v.dtype, v.shape.slice(), v.strides.slice(), offset - base);
  }

  private refOf(d: DataId): Ref {
    const m = this.made.get(d);
    if (m !== undefined) return { kind: 'made', index: m };
    const a = this.argOf.get(d);
    if (a !== undefined) return { kind: 'arg', index: a };
    const h = this.heldOf.get(d);
    if (h !== undefined) return { kind: 'held', index: h };
    this.refuse('a kernel read a storage that no tensor given to an op holds');
    return { kind: 'held', index: -1 };
  }

  /** The plan of this trace, whose step returned `outputs` and `meta`; null if it was refused. */
  finish(outputs: readonly Tensor[], meta: unknown): Plan | null {
    if (this.refused === null) {
      const unused = this.keyUses.findIndex((n) => n !== 1);
      if (unused >= 0) this.refuse('a random key was not used by exactly one random kernel');
    }
    const planned: PlannedOutput[] = [];
    for (const t of outputs) {
      if (this.refused !== null) break;
      if (t.storage.backend !== this.backend) this.refuse('an output is on another backend');
      if (t.requiresGrad) this.refuse('an output requires grad (a replay makes no autograd graph)');
      const view = this.viewSlot(
        { data: t.storage.data, dtype: t.dtype, shape: t.shape, strides: t.strides },
        t.offset,
      );
      planned.push({ view, storageSize: t.storage.size, range: knownRange(t.storage) });
    }
    if (this.refused !== null) return null;
    const assigns: PlannedAssign[] = this.assigns.map(({ target, ref, storage }) => ({
      target,
      ref,
      dtype: storage.dtype,
      size: storage.size,
      range: knownRange(storage),
    }));
    return {
      calls: this.calls,
      args: this.argLayouts,
      aliases: this.aliases,
      held: this.held,
      keys: this.keys.length,
      outputs: planned,
      meta,
      assigns,
      hosts: this.hosts,
      freeAfter: lifetimes(this.calls, planned, assigns),
      made: this.madeCount,
    };
  }
}

export function layoutOf(t: Tensor): Layout {
  return { shape: t.shape.slice(), strides: t.strides.slice(), dtype: t.dtype, range: knownRange(t.storage) };
}

function isView(x: object): x is View {
  return 'data' in x && 'dtype' in x && 'shape' in x && 'strides' in x && 'offset' in x;
}
