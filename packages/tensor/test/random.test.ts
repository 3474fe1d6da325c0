import { describe, expect, it } from 'vitest';
import { mix32, nextKey, randomBits, randomNormal, randomPermutation, randomUniform, seed } from '../src/random';

// Reference values from an independent Python implementation of lowbias32
// (x ^= x>>16; x *= 0x7feb352d; x ^= x>>15; x *= 0x846ca68b; x ^= x>>16, mod 2^32).
// Every backend must reproduce these exactly, so they are pinned here.
describe('mix32', () => {
  const known: [number, number][] = [
    [0, 0],
    [1, 1753845952],
    [2, 3507691905],
    [0xdeadbeef, 3861431939],
    [0xffffffff, 1734902346],
  ];
  for (const [x, want] of known) it(`mix32(${x}) = ${want}`, () => expect(mix32(x)).toBe(want));
  it('returns unsigned 32-bit integers', () => {
    for (let x = 0; x < 1000; x++) {
      const y = mix32(x * 2654435761);
      expect(Number.isInteger(y) && y >= 0 && y < 2 ** 32).toBe(true);
    }
  });
});

describe('randomBits', () => {
  const known: [number, number, number][] = [
    [0, 0, 0],
    [1, 0, 3529208806],
    [0, 1, 1492470133],
    [12345, 678, 3589710083],
    [0xffffffff, 7, 1753064210],
  ];
  for (const [k, i, want] of known) it(`randomBits(${k}, ${i}) = ${want}`, () => expect(randomBits(k, i)).toBe(want));
  it('is a pure function of (key, counter) and differs across keys', () => {
    const a = Array.from({ length: 64 }, (_, i) => randomBits(42, i));
    const b = Array.from({ length: 64 }, (_, i) => randomBits(42, i));
    const c = Array.from({ length: 64 }, (_, i) => randomBits(43, i));
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(64);
    expect(a.filter((v, i) => v === c[i]).length).toBe(0);
  });
});

describe('randomUniform / randomNormal', () => {
  const n = 20000;
  it('uniform values lie in [0, 1), are float32-exact and have mean 1/2, variance 1/12', () => {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const u = randomUniform(7, i);
      expect(u >= 0 && u < 1 && Math.fround(u) === u).toBe(true);
      s += u;
      s2 += u * u;
    }
    const mean = s / n;
    // Standard error of the mean is sqrt(1/12/n) ≈ 0.002; 5 sigma.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - mean * mean - 1 / 12)).toBeLessThan(0.005);
  });
  it('normal values have mean 0 and variance 1, and are finite', () => {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = randomNormal(7, i);
      expect(Number.isFinite(z)).toBe(true);
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.04);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });
});

describe('seed / nextKey', () => {
  it('seed(n) replays the same key sequence; another seed gives another one', () => {
    seed(123);
    const a = [nextKey(), nextKey(), nextKey()];
    seed(123);
    const b = [nextKey(), nextKey(), nextKey()];
    seed(124);
    const c = [nextKey(), nextKey(), nextKey()];
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(3);
    expect(c).not.toEqual(a);
  });
  it('an explicit seed fixes one key and does not advance the generator', () => {
    seed(5);
    const k1 = nextKey();
    seed(5);
    expect(nextKey(99)).toBe(nextKey(99));
    expect(nextKey()).toBe(k1);
    expect(nextKey(99)).not.toBe(nextKey(100));
  });
});

describe('randomPermutation', () => {
  it('is a permutation of 0..n-1, the same for a seed and different for another', () => {
    const p = randomPermutation(1000, 7);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(randomPermutation(1000, 7))).toEqual(Array.from(p));
    expect(Array.from(randomPermutation(1000, 8))).not.toEqual(Array.from(p));
    // Shuffled, not the identity: few elements stay in place.
    expect(Array.from(p).filter((v, i) => v === i).length).toBeLessThan(10);
    expect(Array.from(randomPermutation(1, 3))).toEqual([0]);
    expect(randomPermutation(0, 3).length).toBe(0);
  });
});
