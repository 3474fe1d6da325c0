import { describe, expect, it } from 'vitest';
import { fmtMiB, fmtNumber, fmtTime, formatChecks, formatTable, ratio } from '../src/table';
import type { Row } from '../src/types';

describe('number formatting', () => {
  it('three significant digits', () => {
    expect(fmtNumber(170.4)).toBe('170');
    expect(fmtNumber(23.06)).toBe('23.1');
    expect(fmtNumber(6.914)).toBe('6.91');
    expect(fmtNumber(0.04567)).toBe('0.0457');
    expect(fmtNumber(0)).toBe('0');
    expect(fmtTime(0.0123, 'ms')).toBe('12.3 ms');
    expect(fmtTime(12.34, 's')).toBe('12.3 s');
    expect(fmtTime(8.79e-7, 'µs')).toBe('0.879 µs');
  });

  it('ratio is peer time over tsdl time, blank without two times', () => {
    expect(ratio({ kind: 'time', seconds: 30 }, { kind: 'time', seconds: 10 })).toBe('3.00');
    expect(ratio({ kind: 'unsupported', reason: 'r' }, { kind: 'time', seconds: 10 })).toBe('—');
    expect(ratio(undefined, { kind: 'time', seconds: 10 })).toBe('—');
  });
});

describe('formatTable', () => {
  const rows: Row[] = [
    {
      work: 'MLP epoch, batch 32',
      unit: 's',
      cells: {
        tsdl: { kind: 'time', seconds: 10 },
        'tfjs-cpu': { kind: 'time', seconds: 170, note: 'extrapolated from 150 of 1875 batches' },
        'tfjs-wasm': { kind: 'time', seconds: 23 },
        'jax-js': { kind: 'time', seconds: 5 },
      },
    },
    {
      work: 'matmul n=1024',
      unit: 'ms',
      cells: {
        tsdl: { kind: 'time', seconds: 0.1, gflops: 21.5 },
        'tfjs-wasm': { kind: 'unsupported', reason: "Kernel 'X' not registered" },
        'jax-js': { kind: 'failed', reason: 'out of memory' },
      },
    },
  ];

  it('prints one row per work item with times, footnotes and peer / tsdl ratios', () => {
    const lines = formatTable(rows, ['tsdl', 'tfjs-cpu', 'tfjs-wasm', 'jax-js']).split('\n');
    const cells = (l: string) =>
      l
        .split('|')
        .slice(1, -1)
        .map((s) => s.trim());
    expect(cells(lines[0])).toEqual([
      'work',
      'tsdl',
      'tfjs-cpu',
      'tfjs-wasm',
      'jax-js',
      'tfjs-cpu / tsdl',
      'tfjs-wasm / tsdl',
      'jax-js / tsdl',
    ]);
    expect(lines[1]).toMatch(/^\|-+\|-+\|/);
    expect(cells(lines[2])).toEqual([
      'MLP epoch, batch 32',
      '10.0 s',
      '170 s [1]',
      '23.0 s',
      '5.00 s',
      '17.0',
      '2.30',
      '0.500',
    ]);
    expect(cells(lines[3])).toEqual([
      'matmul n=1024',
      '100 ms (21.5 GFLOP/s)',
      '—',
      'unsupported [2]',
      'failed [3]',
      '—',
      '—',
      '—',
    ]);
    expect(lines.slice(5)).toEqual([
      '[1] extrapolated from 150 of 1875 batches',
      "[2] tfjs-wasm: Kernel 'X' not registered",
      '[3] jax-js failed: out of memory',
    ]);
    // Columns are padded to one width per column.
    expect(new Set(lines.slice(0, 4).map((l) => l.length)).size).toBe(1);
  });

  it('prints a time relative to a baseline beside its GFLOP/s, or alone', () => {
    const rel: Row[] = [
      {
        work: 'matmul n=1024 Aᵀ·B',
        unit: 'ms',
        cells: {
          tsdl: { kind: 'time', seconds: 0.1, gflops: 21.5, relative: { value: 1.034, to: 'A·B' } },
          'jax-js': { kind: 'time', seconds: 0.2, relative: { value: 0.5, to: 'A·B' } },
        },
      },
    ];
    const cells = formatTable(rel, ['tsdl', 'jax-js'])
      .split('\n')[2]
      .split('|')
      .slice(1, -1)
      .map((s) => s.trim());
    expect(cells).toEqual(['matmul n=1024 Aᵀ·B', '100 ms (21.5 GFLOP/s, 1.03× A·B)', '200 ms (0.500× A·B)', '2.00']);
  });

  it('prints memory in MiB with a footnote, its ratio as peer / tsdl, and no ratio against a time', () => {
    const mem: Row[] = [
      {
        work: 'MNIST MLP run, batch 32: peak RSS',
        unit: 'MiB',
        cells: {
          tsdl: { kind: 'memory', bytes: 612 * 2 ** 20, note: 'of which 430 MiB before the first step' },
          'tfjs-wasm': { kind: 'memory', bytes: 1224 * 2 ** 20 },
          'jax-js': { kind: 'failed', reason: 'the child process exited with code 1' },
        },
      },
    ];
    const lines = formatTable(mem, ['tsdl', 'tfjs-wasm', 'jax-js']).split('\n');
    const cells = lines[2]
      .split('|')
      .slice(1, -1)
      .map((s) => s.trim());
    expect(cells).toEqual(['MNIST MLP run, batch 32: peak RSS', '612 MiB [1]', '1224 MiB', 'failed [2]', '2.00', '—']);
    expect(lines.slice(4)).toEqual([
      '[1] of which 430 MiB before the first step',
      '[2] jax-js failed: the child process exited with code 1',
    ]);
    expect(fmtMiB(1.5 * 2 ** 20)).toBe('1.50 MiB');
    expect(ratio({ kind: 'memory', bytes: 3 }, { kind: 'time', seconds: 1 })).toBe('—');
  });

  it('drops ratio columns when tsdl is not run', () => {
    const header = formatTable(rows, ['tfjs-cpu', 'jax-js']).split('\n')[0];
    expect(header).not.toContain('/ tsdl');
  });

  it('compares each WebGPU peer with tsdl-webgpu and each CPU peer with tsdl', () => {
    const gpuRows: Row[] = [
      {
        work: 'matmul n=4096',
        unit: 'ms',
        cells: {
          tsdl: { kind: 'time', seconds: 2 },
          'jax-js': { kind: 'time', seconds: 1 },
          'tsdl-webgpu': { kind: 'time', seconds: 0.01 },
          'tfjs-webgpu': { kind: 'time', seconds: 0.008 },
          'jax-js-webgpu': { kind: 'time', seconds: 0.02 },
        },
      },
    ];
    const lines = formatTable(gpuRows, ['tsdl', 'jax-js', 'tsdl-webgpu', 'tfjs-webgpu', 'jax-js-webgpu']).split('\n');
    const cells = (l: string) =>
      l
        .split('|')
        .slice(1, -1)
        .map((s) => s.trim());
    expect(cells(lines[0])).toEqual([
      'work',
      'tsdl',
      'jax-js',
      'tsdl-webgpu',
      'tfjs-webgpu',
      'jax-js-webgpu',
      'jax-js / tsdl',
      'tfjs-webgpu / tsdl-webgpu',
      'jax-js-webgpu / tsdl-webgpu',
    ]);
    expect(cells(lines[2]).slice(6)).toEqual(['0.500', '0.800', '2.00']);
    // A GPU run alone: ratios against tsdl-webgpu, none against the absent CPU tsdl.
    const gpuOnly = cells(formatTable(gpuRows, ['tsdl-webgpu', 'tfjs-webgpu', 'jax-js-webgpu']).split('\n')[0]);
    expect(gpuOnly.slice(4)).toEqual(['tfjs-webgpu / tsdl-webgpu', 'jax-js-webgpu / tsdl-webgpu']);
    // A peer without its tsdl gets no ratio column.
    expect(formatTable(gpuRows, ['tsdl', 'tfjs-webgpu']).split('\n')[0]).not.toContain('/');
  });

  it('gives a reference (PyTorch) a column and a ratio against tsdl only where a row has its cell', () => {
    const withTorch: Row[] = [
      {
        work: 'lstm step',
        unit: 'ms',
        cells: {
          tsdl: { kind: 'time', seconds: 0.02 },
          'tfjs-wasm': { kind: 'time', seconds: 0.2 },
          'pytorch-cpu': { kind: 'time', seconds: 0.01 },
        },
      },
      { work: 'matmul', unit: 'ms', cells: { tsdl: { kind: 'time', seconds: 0.1 } } },
    ];
    const cells = (l: string) =>
      l
        .split('|')
        .slice(1, -1)
        .map((s) => s.trim());
    const lines = formatTable(withTorch, ['tsdl', 'tfjs-wasm']).split('\n');
    expect(cells(lines[0])).toEqual([
      'work',
      'tsdl',
      'tfjs-wasm',
      'pytorch-cpu',
      'tfjs-wasm / tsdl',
      'pytorch-cpu / tsdl',
    ]);
    expect(cells(lines[2])).toEqual(['lstm step', '20.0 ms', '200 ms', '10.0 ms', '10.0', '0.500']);
    expect(cells(lines[3])).toEqual(['matmul', '100 ms', '—', '—', '—', '—']);
    // No row has a PyTorch cell: no column for it.
    expect(formatTable(withTorch.slice(1), ['tsdl', 'tfjs-wasm']).split('\n')[0]).not.toContain('pytorch');
    const text = formatChecks(
      [{ what: 'loss', values: { tsdl: 0.693, 'pytorch-cpu': 0.6931 }, ok: true, detail: 'd' }],
      ['tsdl'],
    );
    expect(text).toBe('ok       loss: tsdl 0.69300, pytorch-cpu 0.69310 (d)');
  });

  it('prints checks with their verdict', () => {
    const text = formatChecks(
      [{ what: 'loss', values: { tsdl: 2.302585, 'jax-js': 2.302591 }, ok: true, detail: 'd' }],
      ['tsdl', 'jax-js'],
    );
    expect(text).toBe('ok       loss: tsdl 2.3026, jax-js 2.3026 (d)');
  });
});
