import {
  type Tensor,
  add,
  argmax,
  broadcastTo,
  cast,
  concat,
  conv2d,
  dispose,
  exp,
  gather,
  keep,
  memory,
  logSumExp,
  matmul,
  max,
  maxPool2d,
  mean,
  mul,
  ones,
  pad,
  rand,
  relu,
  reshape,
  sigmoid,
  slice,
  softmax,
  split,
  square,
  stack,
  sub,
  sum,
  tensor,
  tidy,
  transpose,
  where,
  zeros,
  gt,
  unsqueeze,
  squeeze,
} from '@tsdl/tensor';
import { gradients, valueAndGrad } from '@tsdl/autograd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context';
import { footprint, values } from './helpers';

/** Steps of the leak loop; each runs one tidy() of a few ops of one family. */
type Step = (p: Params) => void;

interface Params {
  x: Tensor; // [4, 5] float32
  w: Tensor; // [5, 3] float32, requires grad
  idx: Tensor; // [3] int32
  img: Tensor; // [1, 6, 6, 2] float32
  filt: Tensor; // [3, 3, 2, 4] float32
}

const STEPS: Step[] = [
  // elementwise, broadcasting, dtype changes
  ({ x }) => {
    add(mul(x, 2), sigmoid(x));
    where(gt(x, 0), exp(x), relu(sub(0, x)));
    cast(cast(x, 'int32'), 'bool');
  },
  // reductions, including compositions that tidy internally
  ({ x }) => {
    sum(x, 1);
    max(x, 0, true);
    mean(x, [0, 1]);
    argmax(x, -1);
    logSumExp(x, 1);
  },
  // matmul, transposed operands
  ({ x, w }) => {
    matmul(x, w);
    matmul(transpose(w), transpose(x));
    matmul(x, w, { transposeA: false, transposeB: false });
  },
  // views (no copies) and copies made from views
  ({ x }) => {
    const v = slice(transpose(reshape(x, [2, 10])), [1], [9], [2]);
    add(v, 1);
    broadcastTo(unsqueeze(x, 0), [3, 4, 5]);
    squeeze(reshape(x, [1, 4, 5]));
    split(x, 2, 0);
    concat([x, x], 1);
    stack([x, x], 0);
    pad(x, [
      [1, 0],
      [0, 2],
    ]);
  },
  // movement with indices, nn kernels, random
  ({ x, idx, img, filt }) => {
    gather(x, idx, 0);
    softmax(x, 0);
    maxPool2d(relu(conv2d(img, filt, { padding: 'same' })), { kernelSize: 2 });
    rand([3, 3], { seed: 1 });
  },
  // autograd: backward into .grad, then an in-place update and zeroGrad
  ({ x, w }) => {
    const loss = sum(square(matmul(x, w)));
    loss.backward();
    w.assign(sub(w, mul(w.grad as Tensor, 1e-4)));
    w.zeroGrad();
  },
  // functional gradients, whose results go to this tidy's scope
  ({ x, w }) => {
    gradients(mean(square(matmul(x, w))), [w]);
    valueAndGrad((a: Tensor) => sum(mul(a, a)))(x);
  },
];

export function registerMemory(_ctx: ConformanceContext): void {
  describe('memory', () => {
    let p: Params;
    beforeAll(() => {
      p = {
        x: rand([4, 5], { seed: 11, low: -1, high: 1 }),
        w: rand([5, 3], { seed: 12, low: -1, high: 1 }),
        idx: tensor([3, 0, 2], undefined, 'int32'),
        img: rand([1, 6, 6, 2], { seed: 13 }),
        filt: rand([3, 3, 2, 4], { seed: 14 }),
      };
      p.w.requiresGrad = true;
    });
    afterAll(() => dispose([p.x, p.w, p.idx, p.img, p.filt]));

    it('10,000 tidy() calls of mixed ops, views and backward leave memory() unchanged', () => {
      const before = snapshot();
      let peakTensors = 0;
      for (let i = 0; i < 10_000; i++) {
        tidy(() => {
          STEPS[i % STEPS.length](p);
          // Something really was allocated inside, so "unchanged" means freed, not never made.
          if (i < STEPS.length) peakTensors = Math.max(peakTensors, memory().numTensors - before.numTensors);
        });
      }
      expect(peakTensors).toBeGreaterThan(3);
      expect(snapshot()).toEqual(before);
      expect(p.w.isDisposed).toBe(false);
      expect(p.w.grad).toBeNull();
    });

    it('dispose() frees a tensor once (a second dispose is a no-op)', () => {
      const m0 = footprint();
      const t = zeros([10]);
      expect(footprint()).toEqual({
        numTensors: m0.numTensors + 1,
        numBytes: m0.numBytes + 40,
        buffers: m0.buffers + 1,
        bytes: m0.bytes + 40,
      });
      t.dispose();
      expect(t.isDisposed).toBe(true);
      expect(footprint()).toEqual(m0);
      t.dispose();
      expect(footprint()).toEqual(m0);
    });

    it('memory() counts bytes per dtype: float32 4, int32 4, bool 1', () => {
      const m0 = footprint();
      const a = zeros([5], 'float32');
      expect(footprint().bytes - m0.bytes).toBe(20);
      const b = zeros([2, 3], 'int32');
      expect(footprint().bytes - m0.bytes).toBe(20 + 24);
      const c = ones([7], 'bool');
      const m = footprint();
      expect(m.bytes - m0.bytes).toBe(20 + 24 + 7);
      expect(m.numBytes - m0.numBytes).toBe(20 + 24 + 7);
      expect(m.buffers - m0.buffers).toBe(3);
      expect(m.numTensors - m0.numTensors).toBe(3);
      const d = zeros([0, 4]);
      expect(footprint().bytes - m0.bytes).toBe(51);
      dispose([a, b, c, d]);
      expect(footprint()).toEqual(m0);
    });

    it('keep() survives tidy; everything else made inside is freed', async () => {
      const m0 = footprint();
      let scratch: Tensor | undefined;
      let kept: Tensor | undefined;
      tidy(() => {
        scratch = ones([3]);
        kept = keep(add(scratch, 1));
      });
      expect(scratch?.isDisposed).toBe(true);
      expect(kept?.isDisposed).toBe(false);
      expect(await values(kept as Tensor)).toEqual([2, 2, 2]);
      const m1 = footprint();
      expect(m1.numTensors - m0.numTensors).toBe(1);
      expect(m1.bytes - m0.bytes).toBe(12);
      kept?.dispose();
      expect(footprint()).toEqual(m0);
    });

    it('nested tidy: the inner result survives the inner scope and is freed by the outer one', async () => {
      const m0 = footprint();
      let a: Tensor | undefined;
      let innerResult: Tensor | undefined;
      const out = tidy(() => {
        innerResult = tidy(() => {
          a = tensor([1, 2, 3]);
          return add(a, 1);
        });
        expect(a?.isDisposed).toBe(true);
        expect(innerResult.isDisposed).toBe(false);
        return mul(innerResult, 2);
      });
      expect(innerResult?.isDisposed).toBe(true);
      expect(await values(out)).toEqual([4, 6, 8]);
      expect(footprint().numTensors - m0.numTensors).toBe(1);
      out.dispose();
      expect(footprint()).toEqual(m0);
    });

    it('tidy returning arrays and objects keeps every tensor in them', async () => {
      const m0 = footprint();
      let scratch: Tensor | undefined;
      const r = tidy(() => {
        scratch = tensor([1, 2]);
        return { sum: sum(scratch), parts: [add(scratch, 1), { neg: sub(0, scratch) }] };
      });
      expect(scratch?.isDisposed).toBe(true);
      const parts = r.parts as [Tensor, { neg: Tensor }];
      expect(await values(r.sum)).toEqual([3]);
      expect(await values(parts[0])).toEqual([2, 3]);
      expect(await values(parts[1].neg)).toEqual([-1, -2]);
      expect(footprint().numTensors - m0.numTensors).toBe(3);
      dispose(r as never);
      expect(footprint()).toEqual(m0);
    });

    it('tidy frees what it made when the function throws', () => {
      const m0 = footprint();
      expect(() =>
        tidy(() => {
          zeros([100]);
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(footprint()).toEqual(m0);
    });

    it('views share storage; freeing the base keeps the storage until the last view goes', async () => {
      const m0 = footprint();
      const base = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      const m1 = footprint();
      expect(m1.bytes - m0.bytes).toBe(24);
      const r = reshape(base, [3, 2]);
      const t = transpose(base);
      const s = slice(base, [0, 1], [2, 3]);
      const m2 = footprint();
      expect(m2.numTensors - m1.numTensors).toBe(3);
      expect(m2.bytes).toBe(m1.bytes);
      expect(m2.buffers).toBe(m1.buffers);
      base.dispose();
      expect(footprint().bytes).toBe(m1.bytes);
      expect(await values(r)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await values(t)).toEqual([1, 4, 2, 5, 3, 6]);
      expect(await values(s)).toEqual([2, 3, 5, 6]);
      r.dispose();
      t.dispose();
      expect(footprint().bytes).toBe(m1.bytes);
      expect(await values(s)).toEqual([2, 3, 5, 6]);
      s.dispose();
      expect(footprint()).toEqual(m0);
    });

    it('backward frees the graph with the loss; only .grad remains', () => {
      const m0 = footprint();
      const w = rand([3, 3], { seed: 3 });
      w.requiresGrad = true;
      const m1 = footprint();
      const loss = tidy(() => sum(exp(matmul(w, w))));
      loss.backward();
      loss.dispose();
      const m2 = footprint();
      expect(m2.numTensors - m1.numTensors).toBe(1); // w.grad
      expect(m2.bytes - m1.bytes).toBe(36);
      w.zeroGrad();
      w.dispose();
      expect(footprint()).toEqual(m0);
    });
  });
}

/** Live tensors, total bytes, and storages and bytes of every registered backend. */
function snapshot(): {
  numTensors: number;
  numBytes: number;
  backends: Record<string, { buffers: number; bytes: number }>;
} {
  const m = memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes, backends: m.backends };
}
