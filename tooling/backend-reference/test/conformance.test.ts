import { runConformance } from '@tsdl/conformance';
import { ACCELERATIONS } from '@tsdl/tensor/backend';
import { describe, expect, it } from 'vitest';
import { reference } from '../src/index';

// The whole suite on the core alone: every acceleration runs as its lowering.
runConformance(
  'reference',
  () => reference(),
  () => reference({ name: 'reference-second' }),
);

describe('the reference backend', () => {
  it('implements the core only: no acceleration, so every one of them runs as its lowering', () => {
    const b = reference() as unknown as Record<string, unknown>;
    expect(ACCELERATIONS.filter((name) => name in b)).toEqual([]);
    for (const name of [
      'write',
      'read',
      'free',
      'memory',
      'elementwise',
      'reduce',
      'concat',
      'pad',
      'gather',
      'scatterAdd',
      'matmul',
      'random',
    ]) {
      expect(typeof b[name], name).toBe('function');
    }
  });
});
