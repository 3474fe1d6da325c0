import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../src/args';
import { makePlan } from '../src/plan';

describe('parseBenchArgs', () => {
  it('defaults to every item and every framework, full measurement', () => {
    expect(parseBenchArgs([])).toEqual({
      help: false,
      quick: false,
      items: ['mlp', 'matmul', 'cnn'],
      frameworks: ['tsdl', 'tfjs-cpu', 'tfjs-wasm', 'jax-js'],
      batches: undefined,
    });
  });

  it('reads --quick, --only, --frameworks and --batches, keeping the canonical order', () => {
    const a = parseBenchArgs(['--quick', '--only', 'cnn,matmul', '--frameworks', 'jax-js,tsdl', '--batches', '50']);
    expect(a.quick).toBe(true);
    expect(a.items).toEqual(['matmul', 'cnn']);
    expect(a.frameworks).toEqual(['tsdl', 'jax-js']);
    expect(a.batches).toBe(50);
  });

  it('rejects unknown names, bad counts and unknown flags, naming the flag', () => {
    expect(() => parseBenchArgs(['--only', 'mlp,rnn'])).toThrow(/--only: unknown name 'rnn'/);
    expect(() => parseBenchArgs(['--frameworks', 'onnx'])).toThrow(/--frameworks: unknown name 'onnx'/);
    expect(() => parseBenchArgs(['--batches', '0'])).toThrow(/--batches must be a positive integer, got '0'/);
    expect(() => parseBenchArgs(['--batches', '2.5'])).toThrow(/--batches/);
    expect(() => parseBenchArgs(['--only', ','])).toThrow(/--only: expected a comma-separated list/);
    expect(() => parseBenchArgs(['--fast'])).toThrow(/--fast/);
  });
});

describe('makePlan', () => {
  it('measures the sizes the brief names by default', () => {
    const p = makePlan(parseBenchArgs([]));
    expect(p.matmulSizes).toEqual([128, 256, 512, 1024, 2048]);
    expect(p.mlp.batchSizes).toEqual([32, 128]);
    expect(p.mlp.batches).toBeUndefined();
    expect(p.cnn.batchSize).toBe(64);
  });

  it('--batches fixes the MLP batch count and the CNN step count', () => {
    const p = makePlan(parseBenchArgs(['--batches', '7']));
    expect(p.mlp.batches).toBe(7);
    expect(p.cnn.steps).toEqual({ minRuns: 7, maxRuns: 7, budgetSeconds: 0 });
  });

  it('--quick shrinks every size', () => {
    const p = makePlan(parseBenchArgs(['--quick']));
    expect(Math.max(...p.matmulSizes)).toBeLessThanOrEqual(128);
    expect(p.mlp.samples).toBeLessThanOrEqual(2048);
    expect(p.cnn.batchSize).toBeLessThan(64);
  });
});
