import type { Backend } from './backend';

/**
 * Knows whether more than one copy of @tsdl/tensor is loaded in this realm
 * (an app that bundles both the ESM and the CJS build, or two versions). Each
 * copy has its own backend registry and Tensor class, so a backend selected in
 * one is missing in the other and tensors of one are not tensors to the other:
 * the errors that follow ("no backend selected" right after setBackend) would
 * point anywhere but the cause. The registry and dispatch ask here when they
 * are about to throw, and name the cause instead.
 */

interface LoadedCopy {
  /** Where the copy was loaded from, as far as a stack trace tells. */
  readonly where: string;
  readonly activeBackend: () => Backend | null;
}

/**
 * The global list holds each copy weakly: a copy that is unloaded (a test runner
 * resetting modules) must not stay reachable, with its backends and their memory.
 */
type Entry = WeakRef<LoadedCopy>;

const KEY = Symbol.for('@tsdl/tensor loaded copies');

const store = globalThis as unknown as Record<symbol, Entry[] | undefined>;
const copies: Entry[] = (store[KEY] ??= []);

/** The first file of a stack trace outside this module: the copy's own path. */
function loadedFrom(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(1);
  const frame = lines.find((l) => /\(?(?:file:\/\/)?\/.+:\d+:\d+\)?$/.test(l) && !/\/copies\.[cm]?[jt]s:/.test(l));
  const m = frame?.match(/\(?((?:file:\/\/)?\/[^()]+?):\d+:\d+\)?$/);
  return m ? m[1] : 'an unknown location';
}

let self: LoadedCopy | null = null;

/** Registers this copy; `active` reads its registry's active backend. */
export function registerCopy(active: () => Backend | null): void {
  if (self) return;
  self = { where: loadedFrom(), activeBackend: active };
  copies.push(new WeakRef(self));
}

/** The other loaded copies of the package (none in a correctly installed app). */
export function otherCopies(): readonly LoadedCopy[] {
  const live = copies.map((c) => c.deref()).filter((c): c is LoadedCopy => c !== undefined);
  // Forget collected copies so the list does not grow with every reload.
  if (live.length < copies.length) copies.splice(0, copies.length, ...live.map((c) => new WeakRef(c)));
  return live.filter((c) => c !== self);
}

/** A sentence for an error message when other copies are loaded, or ''. */
export function copiesHint(): string {
  const others = otherCopies();
  if (others.length === 0) return '';
  const selected = others.find((c) => c.activeBackend() !== null);
  return (
    ` — ${others.length + 1} copies of @tsdl/tensor are loaded (this one from ${self?.where ?? 'an unknown location'}; ` +
    `another from ${(selected ?? others[0]).where})${selected ? `, and setBackend was called on the other one` : ''}. ` +
    'Each copy has its own backends and Tensor class: make the app resolve one copy (@tsdl/tensor is a peer dependency of ' +
    'the other @tsdl packages; do not mix the ESM and CJS builds, or two versions)'
  );
}

/** For a value that fails `instanceof Tensor`: a hint when it is a Tensor of another loaded copy, else ''. */
export function foreignTensorHint(x: unknown): string {
  const hint = copiesHint();
  return hint && (x as { constructor?: { name?: string } } | null)?.constructor?.name === 'Tensor'
    ? ` (a Tensor of another copy of @tsdl/tensor${hint})`
    : '';
}
