import { describe, expect, it } from 'vitest';
import { batches, shuffledIndices, takeSamples } from '../src/batches';

describe('batches', () => {
  it('visit every index once per pass, in a seeded order', () => {
    const a = [...batches(10, { batchSize: 3, shuffle: true, seed: 42 })].map((b) => [...b]);
    const b = [...batches(10, { batchSize: 3, shuffle: true, seed: 42 })].map((x) => [...x]);
    const c = [...batches(10, { batchSize: 3, shuffle: true, seed: 43 })].map((x) => [...x]);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.map((x) => x.length)).toEqual([3, 3, 3, 1]);
    expect(a.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keep order without shuffling and drop a short last batch on request', () => {
    expect([...batches(5, { batchSize: 2 })].map((b) => [...b])).toEqual([[0, 1], [2, 3], [4]]);
    expect([...batches(5, { batchSize: 2, dropLast: true })].map((b) => [...b])).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('shuffle into a permutation and take samples by index', () => {
    const p = shuffledIndices(1000, 1);
    expect(new Set(p).size).toBe(1000);
    expect([...p.subarray(0, 10)]).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const data = new Uint8Array([0, 1, 10, 11, 20, 21]);
    expect([...takeSamples(data, 2, new Int32Array([2, 0]))]).toEqual([20, 21, 0, 1]);
  });

  it('reject a bad batch size', () => {
    expect(() => [...batches(3, { batchSize: 0 })]).toThrow(/batchSize must be a positive integer/);
  });
});
