/**
 * Seeded, counter-based random numbers. Element i of a random op with key k
 * is a pure function of (k, i), so a GPU computes it in parallel, and every
 * backend that follows these formulas gives the same values for the same seed.
 *
 * The host keeps a small generator that hands each random op a fresh key;
 * `seed(n)` resets it, so a whole program is reproducible.
 */

import { activeTrace } from './capture/active';

/** A 32-bit integer mixer (Wellons' lowbias32): good avalanche with two multiplies. */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return x;
}

/** 32 random bits for counter i of stream `key`. */
export function randomBits(key: number, i: number): number {
  return mix32((mix32((i ^ key) >>> 0) + key) >>> 0);
}

/** Uniform float in [0, 1) with 24 random bits, exactly representable in float32. */
export function randomUniform(key: number, i: number): number {
  return (randomBits(key, i) >>> 8) * 5.960464477539063e-8; // 2^-24
}

/** Standard normal by Box–Muller over counters 2i and 2i+1. */
export function randomNormal(key: number, i: number): number {
  const u1 = ((randomBits(key, 2 * i) >>> 8) + 1) * 5.960464477539063e-8; // (0, 1]
  const u2 = (randomBits(key, 2 * i + 1) >>> 8) * 5.960464477539063e-8;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

let state = 0x2545f491;

/** Resets the global generator: the same seed gives the same sequence of random ops. */
export function seed(n: number): void {
  state = mix32((Math.floor(n) ^ 0x2545f491) >>> 0);
}

/** The key for the next random op (advances the global generator), or a key derived from an explicit seed. */
export function nextKey(explicitSeed?: number): number {
  if (explicitSeed !== undefined) return mix32((Math.floor(explicitSeed) ^ 0x9e3779b9) >>> 0);
  state = (state + 0x9e3779b9) >>> 0;
  const key = mix32(state);
  activeTrace()?.streamKey(key);
  return key;
}

/**
 * A seeded Fisher–Yates permutation of 0..n-1 on the host (a mulberry32 stream, not the
 * counter-based generator above: it is drawn in order), so shuffles are reproducible.
 */
export function randomPermutation(n: number, seed: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}
