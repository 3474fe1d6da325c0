import type { Backend, Tensor } from '@tsdl/tensor';
import type { GradCheckOptions } from '@tsdl/test-utils';

/** What a case builder may need besides the active backend. */
export interface CaseEnv {
  /** A second backend instance (made once per suite), for the cross-backend `to` op. */
  second(): Backend;
}

/** One finite-difference check: the inputs, the function of them, and gradCheck's options. */
export interface GradSetup {
  inputs: Tensor[];
  f: (...xs: Tensor[]) => Tensor;
  opts?: GradCheckOptions;
}

/**
 * A named gradient case. `build` runs inside tidy() on the active backend
 * (its intermediates are freed at once, the inputs it returns after the
 * check).
 */
export interface GradCase {
  name: string;
  build: (env: CaseEnv) => GradSetup;
  /** The case reads synchronously (t.to()), so it runs only on backends with readSync. */
  needsSyncRead?: boolean;
}

/** op name → its cases. For primitives the key is the name autograd records (and the registry's rule name). */
export type GradTable = Record<string, readonly GradCase[]>;

/** Shorthand for a case whose inputs need no environment. */
export function gc(name: string, inputs: () => Tensor[], f: GradSetup['f'], opts?: GradCheckOptions): GradCase {
  return { name, build: () => ({ inputs: inputs(), f, opts }) };
}
