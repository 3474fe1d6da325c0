import { readFileSync } from 'node:fs';
import { type Tensor, scaledDotProductAttention, tensor, tidy } from '@tsdl/tensor';
import {
  type Module,
  MultiheadAttention,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
  LayerNorm,
} from '../src/index';

/**
 * The PyTorch reference cases written by fixtures/make_attention_fixtures.py,
 * and one runner per kind that does here what the script did there: the same
 * state dict, inputs and masks, the loss Σ out·dOut (+ Σ weights·dWeights),
 * backward. Each returns [name, got, want] pairs for the caller to compare
 * (the CPU tests and the WebGPU tests share them).
 */

/** Numbers as the script writes them: -Infinity and NaN are strings. */
export interface Encoded {
  shape: number[];
  data: (number | string)[];
  dtype?: 'bool' | 'float32';
}

export interface SdpaCase {
  name: string;
  query: Encoded;
  key: Encoded;
  value: Encoded;
  mask: Encoded | null;
  isCausal: boolean;
  scale: number | null;
  dOut: Encoded;
  out: Encoded;
  grads: { query: Encoded; key: Encoded; value: Encoded } | null;
}

export interface MhaCase {
  name: string;
  options: Record<string, unknown>;
  selfAttention: boolean;
  stateDict: Record<string, Encoded>;
  query: Encoded;
  key: Encoded | null;
  value: Encoded | null;
  forward: {
    attnMask: Encoded | null;
    keyPaddingMask: Encoded | null;
    isCausal: boolean;
    needWeights: boolean;
    averageAttnWeights: boolean;
  };
  dOut: Encoded;
  dWeights: Encoded | null;
  out: Encoded;
  weights: Encoded | null;
  grads: { query: Encoded; key: Encoded | null; value: Encoded | null; params: Record<string, Encoded> };
}

export interface EncoderCase {
  name: string;
  module: 'TransformerEncoderLayer' | 'TransformerEncoder';
  options: Record<string, unknown>;
  numLayers: number | null;
  finalNorm: boolean;
  stateDict: Record<string, Encoded>;
  src: Encoded;
  forward: { mask: Encoded | null; srcKeyPaddingMask: Encoded | null; isCausal: boolean };
  dOut: Encoded;
  out: Encoded;
  grads: { src: Encoded; params: Record<string, Encoded> };
}

export interface DecoderCase {
  name: string;
  module: 'TransformerDecoderLayer' | 'TransformerDecoder';
  options: Record<string, unknown>;
  numLayers: number | null;
  finalNorm: boolean;
  stateDict: Record<string, Encoded>;
  tgt: Encoded;
  memory: Encoded;
  forward: {
    tgtMask: Encoded | null;
    memoryMask: Encoded | null;
    tgtKeyPaddingMask: Encoded | null;
    memoryKeyPaddingMask: Encoded | null;
    tgtIsCausal: boolean;
  };
  dOut: Encoded;
  out: Encoded;
  grads: { tgt: Encoded; memory: Encoded; params: Record<string, Encoded> };
}

export interface Fixtures {
  torch: string;
  sdpa: SdpaCase[];
  mha: MhaCase[];
  encoder: EncoderCase[];
  decoder: DecoderCase[];
  gelu: { x: Encoded; none: Encoded; tanh: Encoded };
}

let cached: Fixtures | null = null;

export function loadFixtures(): Fixtures {
  cached ??= JSON.parse(readFileSync(new URL('./fixtures/attention.json', import.meta.url), 'utf8')) as Fixtures;
  return cached;
}

/** The numbers of an encoded value, with "-Infinity" and "NaN" as numbers. */
export function values(e: Encoded): number[] {
  return e.data.map((v) => (typeof v === 'string' ? Number(v) : v));
}

export function make(e: Encoded): Tensor {
  return tensor(values(e), e.shape, e.dtype ?? 'float32');
}

function leafOf(e: Encoded): Tensor {
  const t = make(e);
  t.requiresGrad = true;
  return t;
}

export type Pair = [string, Tensor, Encoded];

/** What a case computed, as tensors the caller reads, then frees with dispose(). */
export interface CaseResult {
  pairs: Pair[];
  dispose(): void;
}

function result(kept: Tensor[], leaves: Tensor[], pairs: Pair[], module?: Module): CaseResult {
  return {
    pairs,
    dispose() {
      for (const t of kept) t.dispose();
      for (const t of leaves) {
        t.zeroGrad();
        t.dispose();
      }
      module?.dispose();
    },
  };
}

function loadState(m: Module, dict: Record<string, Encoded>): void {
  const d: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(dict)) d[k] = make(v);
  try {
    m.loadStateDict(d);
  } finally {
    for (const t of Object.values(d)) t.dispose();
  }
}

function paramPairs(m: Module, grads: Record<string, Encoded>): Pair[] {
  const params = new Map(m.namedParameters());
  return Object.entries(grads).map(([k, g]) => [`grad ${k}`, params.get(k)?.grad as Tensor, g]);
}

export function runSdpa(c: SdpaCase): CaseResult {
  const q = leafOf(c.query);
  const k = leafOf(c.key);
  const v = leafOf(c.value);
  const mask = c.mask ? make(c.mask) : null;
  const out = tidy(() => {
    const o = scaledDotProductAttention(q, k, v, {
      ...(mask ? { mask } : {}),
      ...(c.isCausal ? { isCausal: true } : {}),
      ...(c.scale !== null ? { scale: c.scale } : {}),
    });
    if (c.grads) o.mul(make(c.dOut)).sum().backward();
    return o;
  });
  const pairs: Pair[] = [['output', out, c.out]];
  if (c.grads)
    pairs.push(
      ['grad query', q.grad as Tensor, c.grads.query],
      ['grad key', k.grad as Tensor, c.grads.key],
      ['grad value', v.grad as Tensor, c.grads.value],
    );
  return result(mask ? [out, mask] : [out], [q, k, v], pairs);
}

export function runMha(c: MhaCase): CaseResult {
  const m = new MultiheadAttention({ ...(c.options as object), seed: 1 });
  loadState(m, c.stateDict);
  m.eval();
  const q = leafOf(c.query);
  const k = c.selfAttention ? q : leafOf(c.key as Encoded);
  const v = c.selfAttention ? q : leafOf(c.value as Encoded);
  const f = c.forward;
  const attnMask = f.attnMask ? make(f.attnMask) : undefined;
  const keyPaddingMask = f.keyPaddingMask ? make(f.keyPaddingMask) : undefined;
  const [out, w] = tidy(() => {
    const [o, weights] = m.call(q, k, v, {
      attnMask,
      keyPaddingMask,
      needWeights: f.needWeights,
      averageAttnWeights: f.averageAttnWeights,
      isCausal: f.isCausal,
    });
    let loss = o.mul(make(c.dOut)).sum();
    if (weights && c.dWeights) loss = loss.add(weights.mul(make(c.dWeights)).sum());
    loss.backward();
    return [o, weights] as const;
  });
  const pairs: Pair[] = [['output', out, c.out]];
  if (c.weights) pairs.push(['weights', w as Tensor, c.weights]);
  pairs.push(['grad query', q.grad as Tensor, c.grads.query]);
  if (!c.selfAttention)
    pairs.push(
      ['grad key', k.grad as Tensor, c.grads.key as Encoded],
      ['grad value', v.grad as Tensor, c.grads.value as Encoded],
    );
  pairs.push(...paramPairs(m, c.grads.params));
  const kept = [out, ...(w ? [w] : []), ...(attnMask ? [attnMask] : []), ...(keyPaddingMask ? [keyPaddingMask] : [])];
  return result(kept, c.selfAttention ? [q] : [q, k, v], pairs, m);
}

function finalNorm(c: { finalNorm: boolean; options: Record<string, unknown> }): LayerNorm | undefined {
  return c.finalNorm ? new LayerNorm(c.options.dModel as number) : undefined;
}

export function makeEncoder(c: EncoderCase): Module {
  const layer = new TransformerEncoderLayer({ ...(c.options as object), seed: 1 } as never);
  return c.module === 'TransformerEncoderLayer'
    ? layer
    : new TransformerEncoder(layer, c.numLayers as number, { norm: finalNorm(c) });
}

export function runEncoder(c: EncoderCase): CaseResult {
  const m = makeEncoder(c);
  loadState(m, c.stateDict);
  m.eval();
  const src = leafOf(c.src);
  const mask = c.forward.mask ? make(c.forward.mask) : undefined;
  const kpm = c.forward.srcKeyPaddingMask ? make(c.forward.srcKeyPaddingMask) : undefined;
  const out = tidy(() => {
    const call = m.call as unknown as (src: Tensor, o: object) => Tensor;
    const o = call.call(m, src, { mask, srcKeyPaddingMask: kpm, isCausal: c.forward.isCausal });
    o.mul(make(c.dOut)).sum().backward();
    return o;
  });
  const pairs: Pair[] = [
    ['output', out, c.out],
    ['grad src', src.grad as Tensor, c.grads.src],
    ...paramPairs(m, c.grads.params),
  ];
  return result([out, ...(mask ? [mask] : []), ...(kpm ? [kpm] : [])], [src], pairs, m);
}

export function makeDecoder(c: DecoderCase): Module {
  const layer = new TransformerDecoderLayer({ ...(c.options as object), seed: 1 } as never);
  return c.module === 'TransformerDecoderLayer'
    ? layer
    : new TransformerDecoder(layer, c.numLayers as number, { norm: finalNorm(c) });
}

export function runDecoder(c: DecoderCase): CaseResult {
  const m = makeDecoder(c);
  loadState(m, c.stateDict);
  m.eval();
  const tgt = leafOf(c.tgt);
  const memory = leafOf(c.memory);
  const f = c.forward;
  const masks = {
    tgtMask: f.tgtMask ? make(f.tgtMask) : undefined,
    memoryMask: f.memoryMask ? make(f.memoryMask) : undefined,
    tgtKeyPaddingMask: f.tgtKeyPaddingMask ? make(f.tgtKeyPaddingMask) : undefined,
    memoryKeyPaddingMask: f.memoryKeyPaddingMask ? make(f.memoryKeyPaddingMask) : undefined,
  };
  const out = tidy(() => {
    const call = m.call as unknown as (tgt: Tensor, memory: Tensor, o: object) => Tensor;
    const o = call.call(m, tgt, memory, { ...masks, tgtIsCausal: f.tgtIsCausal });
    o.mul(make(c.dOut)).sum().backward();
    return o;
  });
  const pairs: Pair[] = [
    ['output', out, c.out],
    ['grad tgt', tgt.grad as Tensor, c.grads.tgt],
    ['grad memory', memory.grad as Tensor, c.grads.memory],
    ...paramPairs(m, c.grads.params),
  ];
  const kept = [out, ...Object.values(masks).filter((t): t is Tensor => t !== undefined)];
  return result(kept, [tgt, memory], pairs, m);
}
