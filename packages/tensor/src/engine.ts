import type { Backend, DataId } from './backend';
import type { DType } from './dtype';
import { ArgumentError, BackendError } from './errors';
import { copiesHint, foreignTensorHint } from './copies';
import type { ExtensionOpName, OpAttrs, OpName } from './op-names';
import { getBackend } from './registry';
import { contiguousStrides, sizeOf } from './shape';
import { type HandleRefs, countHandle, liveHandles, releaseLost, watch } from './handles';
import { activeTrace } from './capture/active';
import { Storage } from './storage';
import { Tensor } from './tensor';

/**
 * The single dispatch point. Every op runs through `dispatch`: it checks that
 * its tensor inputs are alive and on one backend, runs the op's compute, and
 * — when gradients are being recorded — hands the call to the autograd hook.
 * `tensor` never imports `autograd`; autograd installs itself here.
 */

/** What autograd needs from the engine: a recorder at dispatch and the backward pass. */
export interface AutogradHooks {
  /** Called after an op whose inputs include a tensor that requires grad. */
  record(op: string, inputs: readonly (Tensor | number)[], attrs: unknown, outputs: readonly Tensor[]): void;
  /** Runs the backward pass from `root` (Tensor.backward delegates here). */
  backward(root: Tensor, seed?: Tensor, options?: { retainGraph?: boolean }): void;
}

let hooks: AutogradHooks | null = null;
let gradEnabled = true;

export function setAutogradHooks(h: AutogradHooks | null): void {
  hooks = h;
}

export function autogradHooks(): AutogradHooks | null {
  return hooks;
}

/** Whether ops are recorded for autograd right now (false inside noGrad). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Switches recording on or off and returns the previous setting. */
export function setGradEnabled(on: boolean): boolean {
  const prev = gradEnabled;
  gradEnabled = on;
  return prev;
}

// ---- scopes (tidy) and live-tensor accounting -------------------------------

/** Handles made inside each open tidy(); a scope holds them until it disposes them. */
const scopes: Tensor[][] = [];

/**
 * @internal Called by the Tensor constructor: counts the handle, and either puts it in the
 * open tidy() scope or, with no scope open, under the safety net (handles.ts). Then gives
 * back what collected handles held, so memory lost to unreachable tensors returns before
 * more is used.
 */
export function trackTensor(t: Tensor, refs: HandleRefs): void {
  countHandle();
  activeTrace()?.created(t);
  if (scopes.length > 0) scopes[scopes.length - 1].push(t);
  else watch(t, refs);
  releaseLost();
}

/** Live tensor handles (memory().numTensors). */
export function liveTensorCount(): number {
  return liveHandles();
}

/** @internal */
export function pushScope(): void {
  scopes.push([]);
}

/**
 * @internal Pops a scope, disposing its tensors except those kept (one tensor, a set of
 * them, or none), which move to the parent scope; with no parent scope, or kept with
 * keep(), no scope holds them any more and the safety net watches them.
 */
export function popScope(keep: Tensor | ReadonlySet<Tensor> | null): void {
  const scope = scopes.pop();
  if (!scope) return;
  const parent = scopes.length > 0 ? scopes[scopes.length - 1] : null;
  const keepSet = keep instanceof Tensor || keep === null ? null : keep;
  for (let i = 0; i < scope.length; i++) {
    const t = scope[i];
    if (t.isDisposed) continue;
    if (t.isKept) t.watch();
    else if (t === keep || (keepSet !== null && keepSet.has(t))) {
      if (parent) parent.push(t);
      else t.watch();
    } else t.dispose();
  }
}

// ---- dispatch -----------------------------------------------------------------

/** The backend that runs an op: the inputs' common backend, or the active one when there are none. */
export function backendOf(op: string, inputs: readonly (Tensor | number)[]): Backend {
  let backend: Backend | null = null;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i];
    if (typeof x === 'number') continue;
    // The one place every op's inputs pass: a string or null here would otherwise fail as a TypeError.
    if (!(x instanceof Tensor)) throw notATensor(op, i, x);
    x.assertAlive(op);
    activeTrace()?.input(x);
    const b = x.storage.backend;
    if (backend === null) backend = b;
    else if (b !== backend) {
      throw new BackendError(
        `${op}: inputs are on different backends ('${backend.name}' and '${b.name}'); move one with t.to(backend) first` +
          (backend.name === b.name
            ? ` (two instances of the '${b.name}' backend: create it once and pass that one to setBackend${copiesHint()})`
            : ''),
      );
    }
  }
  return backend ?? getBackend();
}

function notATensor(op: string, i: number, x: unknown): ArgumentError {
  const what = x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
  return new ArgumentError(`${op}: input ${i + 1} must be a Tensor or a number, got ${what}${foreignTensorHint(x)}`);
}

/**
 * Runs one op: `compute` gets the backend and returns the output tensor(s).
 * Ops are recorded only when grad mode is on and some input requires grad.
 * A built-in op's name and attributes are typed by OpAttrs (op-names.ts); an op
 * defined elsewhere is namespaced, 'package:op'.
 */
export function dispatch<K extends OpName, T extends Tensor | Tensor[]>(
  op: K,
  inputs: readonly (Tensor | number)[],
  attrs: OpAttrs[K],
  compute: (backend: Backend) => T,
): T;
export function dispatch<T extends Tensor | Tensor[]>(
  op: ExtensionOpName,
  inputs: readonly (Tensor | number)[],
  attrs: unknown,
  compute: (backend: Backend) => T,
): T;
export function dispatch<T extends Tensor | Tensor[]>(
  op: string,
  inputs: readonly (Tensor | number)[],
  attrs: unknown,
  compute: (backend: Backend) => T,
): T {
  const backend = backendOf(op, inputs);
  const out = compute(backend);
  if (hooks !== null && gradEnabled) {
    for (const x of inputs) {
      if (typeof x !== 'number' && x.requiresGrad) {
        hooks.record(op, inputs, attrs, Array.isArray(out) ? out : [out]);
        break;
      }
    }
  }
  return out;
}

/** Wraps fresh contiguous backend storage as a tensor. */
export function wrap(backend: Backend, data: DataId, shape: readonly number[], dtype: DType): Tensor {
  const size = sizeOf(shape);
  return new Tensor(new Storage(backend, data, dtype, size), shape, contiguousStrides(shape), 0, dtype);
}

/** A new tensor handle over an existing storage (a view); retains the storage. */
export function view(src: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return new Tensor(src.storage.retain(), shape, strides, offset, src.dtype);
}
