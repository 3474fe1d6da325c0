import { readFileSync } from 'node:fs';
import { type Tensor, tensor, tidy } from '@tsdl/tensor';
import * as nn from '../src/index';
import type { Module } from '../src/index';

/**
 * The PyTorch reference cases written by fixtures/make_layer_fixtures.py,
 * and one function that runs a module case here: same constructor arguments,
 * state dict and inputs, loss Σ output·dOutput, then backward.
 */

export interface Encoded {
  shape: number[];
  data: number[];
}

export interface LayerCase {
  name: string;
  module: string;
  args: unknown[];
  options: Record<string, unknown>;
  stateDict: Record<string, Encoded>;
  inputs: Encoded[];
  requiresGrad: boolean[];
  dOutput: Encoded;
  output: Encoded;
  grads: { inputs: (Encoded | null)[]; params: Record<string, Encoded> };
}

export interface InitCase {
  fn: 'eye_' | 'dirac_';
  shape: number[];
  groups: number;
  output: Encoded;
}

export interface StateCase {
  name: string;
  keys: string[];
  stateDict: Record<string, Encoded>;
  input: Encoded;
  output: Encoded;
}

function read<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')) as T;
}

export function loadCases(file: 'conv-layers' | 'pool-layers' | 'upsample' | 'misc-layers'): LayerCase[] {
  return read<{ cases: LayerCase[] }>(`${file}.json`).cases;
}

export function loadIdentityInit(): { inits: InitCase[]; states: StateCase[] } {
  return read('identity-init.json');
}

/** Builds the case's module from its constructor name, arguments and options, with PyTorch's state dict loaded. */
export function makeModule(c: LayerCase): Module {
  const Ctor = (nn as unknown as Record<string, new (...a: unknown[]) => Module>)[c.module];
  if (typeof Ctor !== 'function') throw new Error(`${c.module} is not exported by @tsdl/nn`);
  const m = c.module === 'Unflatten' ? new Ctor(...c.args) : new Ctor(...c.args, { ...c.options });
  const dict: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.stateDict)) dict[k] = tensor(v.data, v.shape);
  try {
    m.loadStateDict(dict);
  } finally {
    for (const t of Object.values(dict)) t.dispose();
  }
  return m;
}

/** What a case computes, as tensors the caller reads and disposes. */
export interface CaseResult {
  /** [name, got, want] for every compared value: output and gradients. */
  pairs: [string, Tensor, Encoded][];
  dispose(): void;
}

/** Runs a case on the active backend (forward, loss, backward). */
export function runCase(c: LayerCase): CaseResult {
  const m = makeModule(c);
  const xs = c.inputs.map((e, i) => {
    const t = tensor(e.data, e.shape);
    t.requiresGrad = c.requiresGrad[i];
    return t;
  });
  const out = tidy(() => {
    const y = (m.call as (...a: Tensor[]) => Tensor).call(m, ...xs);
    y.mul(tensor(c.dOutput.data, c.dOutput.shape)).sum().backward();
    return y;
  });
  const pairs: [string, Tensor, Encoded][] = [['output', out, c.output]];
  c.grads.inputs.forEach((g, i) => {
    if (g) pairs.push([`grad input ${i}`, xs[i].grad as Tensor, g]);
  });
  const params = new Map(m.namedParameters());
  for (const [k, g] of Object.entries(c.grads.params)) pairs.push([`grad ${k}`, params.get(k)?.grad as Tensor, g]);
  return {
    pairs,
    dispose() {
      out.dispose();
      for (const t of xs) {
        t.zeroGrad();
        t.dispose();
      }
      m.dispose();
    },
  };
}
