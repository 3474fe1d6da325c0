import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../src/args';
import { makePlan, productsPerRun } from '../src/plan';

describe('parseBenchArgs', () => {
  it('defaults to every item and every CPU framework, full measurement', () => {
    expect(parseBenchArgs([])).toEqual({
      help: false,
      quick: false,
      items: ['mlp', 'mlp-memory', 'matmul', 'cnn', 'small-ops'],
      frameworks: ['tsdl', 'tfjs-cpu', 'tfjs-wasm', 'jax-js'],
      batches: undefined,
      processes: undefined,
      dataDir: undefined,
      profile: false,
    });
  });

  it('reads --quick, --only, --frameworks, --batches and --data, keeping the canonical order', () => {
    const a = parseBenchArgs([
      '--quick',
      '--only',
      'cnn,matmul',
      '--frameworks',
      'jax-js,tsdl',
      '--batches',
      '50',
      '--data',
      '/tmp/mnist',
    ]);
    expect(a.quick).toBe(true);
    expect(a.items).toEqual(['matmul', 'cnn']);
    expect(a.frameworks).toEqual(['tsdl', 'jax-js']);
    expect(a.batches).toBe(50);
    expect(a.dataDir).toBe('/tmp/mnist');
  });

  it('runs matmul-transposes and lstm only when --only names them', () => {
    expect(parseBenchArgs([]).items).not.toContain('matmul-transposes');
    expect(parseBenchArgs([]).items).not.toContain('lstm');
    expect(parseBenchArgs(['--only', 'lstm', '--profile'])).toMatchObject({ items: ['lstm'], profile: true });
    expect(parseBenchArgs(['--only', 'matmul-transposes,matmul']).items).toEqual(['matmul', 'matmul-transposes']);
  });

  it('--device picks the frameworks of a device; --frameworks without it may mix devices', () => {
    expect(parseBenchArgs(['--device', 'gpu']).frameworks).toEqual(['tsdl-webgpu', 'tfjs-webgpu', 'jax-js-webgpu']);
    expect(parseBenchArgs(['--device', 'cpu']).frameworks).toEqual(['tsdl', 'tfjs-cpu', 'tfjs-wasm', 'jax-js']);
    expect(parseBenchArgs(['--device', 'all']).frameworks).toHaveLength(7);
    expect(parseBenchArgs(['--device', 'gpu', '--frameworks', 'jax-js-webgpu,tsdl-webgpu']).frameworks).toEqual([
      'tsdl-webgpu',
      'jax-js-webgpu',
    ]);
    expect(parseBenchArgs(['--frameworks', 'tfjs-webgpu,tsdl']).frameworks).toEqual(['tsdl', 'tfjs-webgpu']);
  });

  it('rejects unknown names, bad counts, unknown flags and frameworks off the chosen device, naming the flag', () => {
    expect(() => parseBenchArgs(['--only', 'mlp,rnn'])).toThrow(/--only: unknown name 'rnn'/);
    expect(() => parseBenchArgs(['--frameworks', 'onnx'])).toThrow(/--frameworks: unknown name 'onnx'/);
    expect(() => parseBenchArgs(['--batches', '0'])).toThrow(/--batches must be a positive integer, got '0'/);
    expect(() => parseBenchArgs(['--batches', '2.5'])).toThrow(/--batches/);
    expect(() => parseBenchArgs(['--processes', '0'])).toThrow(/--processes must be a positive integer, got '0'/);
    expect(() => parseBenchArgs(['--only', ','])).toThrow(/--only: expected a comma-separated list/);
    expect(() => parseBenchArgs(['--fast'])).toThrow(/--fast/);
    expect(() => parseBenchArgs(['--device', 'tpu'])).toThrow(/--device: unknown device 'tpu'/);
    expect(() => parseBenchArgs(['--device', 'gpu', '--frameworks', 'tsdl,tfjs-webgpu'])).toThrow(
      /--frameworks: 'tsdl' runs on the cpu, not on --device gpu/,
    );
    expect(() => parseBenchArgs(['--data', ''])).toThrow(/--data/);
  });
});

describe('makePlan', () => {
  it('measures the sizes the brief names by default', () => {
    const p = makePlan(parseBenchArgs([]));
    expect(p.matmulSizes).toEqual({ cpu: [128, 256, 512, 1024, 2048], gpu: [1024, 2048, 4096] });
    expect(p.matmulReps).toEqual({ gpu: 10 });
    // The CPU amortises the read-back only where it would rival the product.
    expect(p.matmulSizes.cpu.map((n) => productsPerRun(p, 'cpu', n))).toEqual([256, 32, 4, 1, 1]);
    expect(productsPerRun(p, 'gpu', 4096)).toBe(10);
    expect(p.mlp.batchSizes).toEqual([32, 128]);
    expect(p.mlp.batches).toBeUndefined();
    // The MLP's epochs: the median of three fresh processes; --quick times in place.
    expect(p.mlp.processes).toBe(3);
    expect(makePlan(parseBenchArgs(['--quick'])).mlp.processes).toBe(1);
    expect(makePlan(parseBenchArgs(['--processes', '5'])).mlp.processes).toBe(5);
    expect(p.cnn.batchSize).toBe(64);
    expect(p.dataDir).toBeUndefined();
    expect(p.matmulTransposes.sizes).toEqual([512, 1024]);
    // The LSTM: Embedding(10k, 128) → LSTM(128) → Dense(1) at batch 32, sequence 100.
    expect(p.lstm).toMatchObject({ batchSize: 32, seqLen: 100, vocab: 10000, embed: 128, units: 128, profile: false });
    expect(makePlan(parseBenchArgs(['--quick'])).matmulTransposes.sizes).toEqual([128]);
  });

  it('--batches fixes the MLP batch count and the CNN and LSTM step counts', () => {
    const p = makePlan(parseBenchArgs(['--batches', '7']));
    expect(p.mlp.batches).toBe(7);
    expect(p.cnn.steps).toEqual({ minRuns: 7, maxRuns: 7, budgetSeconds: 0 });
    expect(p.lstm.steps).toEqual({ minRuns: 7, maxRuns: 7, budgetSeconds: 0 });
  });

  it('--quick shrinks every size', () => {
    const p = makePlan(parseBenchArgs(['--quick', '--data', 'd']));
    expect(Math.max(...p.matmulSizes.cpu, ...p.matmulSizes.gpu)).toBeLessThanOrEqual(256);
    expect(p.mlp.samples).toBeLessThanOrEqual(2048);
    expect(p.cnn.batchSize).toBeLessThan(64);
    expect(p.dataDir).toBe('d');
  });
});
