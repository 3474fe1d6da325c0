import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useTfjs } from '../src/frameworks/tfjs';
import { fmtNumber } from '../src/table';
import { lstmData } from '../src/work/lstm/data';
import { describeTally, tallyKernels } from '../src/work/lstm/kernel-tally';
import type { LstmShape } from '../src/work/lstm/session';
import { swapSegmentSum } from '../src/work/lstm/tfjs-segment-sum';
import { PYTHON, torchLstm } from '../src/work/lstm/torch';
import { tsdlLstm } from '../src/work/lstm/tsdl';
import { lstmWeights } from '../src/work/lstm/weights';

const SHAPE: LstmShape = { batchSize: 3, seqLen: 5, vocab: 20, embed: 6, units: 4, batches: 2 };

describe('lstm weights and data', () => {
  it('lays the weights out as Keras does, forget-gate bias ones', () => {
    const w = lstmWeights(SHAPE);
    expect(w.map((x) => [x.name, x.shape])).toEqual([
      ['embedding/embeddings', [20, 6]],
      ['lstm/kernel', [6, 16]],
      ['lstm/recurrent_kernel', [4, 16]],
      ['lstm/bias', [16]],
      ['dense/kernel', [4, 1]],
      ['dense/bias', [1]],
    ]);
    for (const x of w) expect(x.values.length).toBe(x.shape.reduce((a, b) => a * b, 1));
    expect([...w[3].values]).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Math.max(...w[0].values.map(Math.abs))).toBeLessThanOrEqual(0.05);
    // Glorot limit √(6 / (6 + 16)) for the input kernel.
    expect(Math.max(...w[1].values.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 22));
  });

  it('draws the same batches from the same seed, tokens in range and 0/1 targets', () => {
    const a = lstmData(SHAPE);
    expect(a.tokens.map((t) => t.length)).toEqual([15, 15]);
    expect(a.labels.map((y) => y.length)).toEqual([3, 3]);
    for (const t of a.tokens) for (const v of t) expect(v >= 0 && v < 20 && Number.isInteger(v)).toBe(true);
    for (const y of a.labels) for (const v of y) expect(v === 0 || v === 1).toBe(true);
    expect(lstmData(SHAPE)).toEqual(a);
    expect(lstmData(SHAPE, 8).tokens[0]).not.toEqual(a.tokens[0]);
  });
});

class Fake {
  log: string[] = [];
  matmul(n: number): number {
    this.log.push('matmul');
    return this.write(n) * this.helper(2);
  }
  write(n: number): number {
    return n;
  }
  helper(n: number): number {
    return n;
  }
  read(): number {
    return this.helper(0);
  }
}

describe('kernel tally', () => {
  it("counts the Backend contract's calls from outside by method, not nested ones or helpers, and takes the wrappers off", () => {
    const b = new Fake();
    const tally = tallyKernels(b);
    expect(b.matmul(3)).toBe(6);
    b.matmul(1);
    b.write(1);
    b.read();
    b.helper(1);
    const t = tally.take();
    expect(Object.fromEntries(t.calls)).toEqual({ matmul: 2, write: 1, read: 1 });
    expect(tally.take().calls.size).toBe(0);
    tally.stop();
    expect(Object.keys(b)).toEqual(['log']);
    expect(b.matmul).toBe(Fake.prototype.matmul);
    const text = describeTally(t, 1, false, fmtNumber);
    expect(text).toMatch(/^4 backend calls: /);
    expect(text).toContain('matmul 2');
    expect(describeTally(t, 2, false, fmtNumber)).toMatch(/^2 backend calls: .*matmul 1\b/);
  });
});

describe("the bench's TF.js UnsortedSegmentSum", () => {
  it.each(['wasm', 'cpu'] as const)(
    'on %s: sums rows into their segments, drops ids out of range, trains an embedding, and is taken back',
    async (backend) => {
      const tf = await useTfjs(backend);
      const before = tf.getKernel('UnsortedSegmentSum', backend);
      // TF.js 4.22: wasm has none, cpu has its own.
      expect(before === undefined).toBe(backend === 'wasm');
      const restore = swapSegmentSum(tf, backend);
      try {
        const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [4, 3]);
        const ids = tf.tensor1d([2, 0, 2, 7], 'int32');
        const out = tf.unsortedSegmentSum(x, ids, 3);
        expect(out.shape).toEqual([3, 3]);
        expect([...(await out.data())]).toEqual([4, 5, 6, 0, 0, 0, 8, 10, 12]);
        // The gradient of gather (the Embedding's backward) is what needs it.
        const table = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
        const g = tf.grad((t) => tf.gather(t, tf.tensor1d([2, 2, 0], 'int32')).sum())(table);
        expect([...(await g.data())]).toEqual([1, 1, 0, 0, 2, 2]);
        tf.dispose([x, ids, out, table, g]);
      } finally {
        restore();
      }
      expect(tf.getKernel('UnsortedSegmentSum', backend)).toBe(before);
    },
  );
});

/** Debian's python3-torch, if this machine has it. */
function hasTorch(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasTorch())('PyTorch beside tsdl', () => {
  it('computes the same first and second losses as tsdl from the same weights and batches', async () => {
    const data = lstmData(SHAPE);
    const weights = lstmWeights(SHAPE);
    const torch = await torchLstm(SHAPE, data, weights, { minRuns: 1, maxRuns: 1, budgetSeconds: 0 }, 1, 1);
    expect(torch.seconds).toHaveLength(1);
    // The warm-up's and the timed step's (the profiled step's loss is not reported).
    expect(torch.losses).toHaveLength(2);
    expect(Object.keys(torch.phases ?? {})).toEqual(['forward', 'backward', 'optimizer']);
    const s = await tsdlLstm('cpu')(SHAPE, data, weights);
    try {
      const l0 = (await s.step()).loss;
      const l1 = (await s.step()).loss;
      expect(Math.abs(l0 - torch.losses[0])).toBeLessThan(1e-6);
      expect(Math.abs(l1 - torch.losses[1])).toBeLessThan(1e-5);
      // An untrained model on fair-coin targets: about ln 2.
      expect(Math.abs(l0 - Math.LN2)).toBeLessThan(0.05);
    } finally {
      s.dispose();
    }
  });
});
