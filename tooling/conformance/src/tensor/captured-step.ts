import { gradients } from '@tsdl/autograd';
import {
  type Tensor,
  add,
  dispose,
  dropout,
  gather,
  getBackend,
  keep,
  matmul,
  mean,
  mul,
  relu,
  seed,
  slice,
  sub,
  sum,
  tensor,
  tidy,
} from '@tsdl/tensor';
import { E } from '@tsdl/tensor/backend';
import {
  activeTrace,
  CapturedStep,
  liveValues,
  nextKey,
  runElementwiseGroups,
  type StepResult,
} from '@tsdl/tensor/internal';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context';
import { footprint, values } from './helpers';

/**
 * A captured step (tensor's CapturedStep, which Keras' fit runs its training
 * step through) must compute exactly what the eager step computes on every
 * backend: a replay reruns the traced kernels on new arguments, reads the
 * tensors held from before the step at their current values, draws fresh
 * random keys, and frees everything it made, also when a kernel throws.
 */

const ROWS = 4;
const STEPS = 6;
/** x + scalar 0, as an optimizer's update kernel takes its step's scalars. */
const ADD_SCALAR = [E.add(E.in(0), E.s(0))];
const TAG = 'conformance:add-scalar';

/** STEPS batches of ROWS rows as slices of one tensor (their offsets differ), and targets. */
function batches(): { x: Tensor; y: Tensor; xs: Tensor[]; ys: Tensor[] } {
  const n = ROWS * STEPS;
  const x = tensor(
    Array.from({ length: n * 3 }, (_, i) => Math.sin(i * 0.7)),
    [n, 3],
  );
  const y = tensor(
    Array.from({ length: n * 2 }, (_, i) => Math.cos(i * 0.3)),
    [n, 2],
  );
  const xs = Array.from({ length: STEPS }, (_, s) => slice(x, [s * ROWS, 0], [(s + 1) * ROWS, 3]));
  const ys = Array.from({ length: STEPS }, (_, s) => slice(y, [s * ROWS, 0], [(s + 1) * ROWS, 2]));
  return { x, y, xs, ys };
}

/** A small training step's forward and backward: a product, relu, dropout, a squared error and its gradient. */
function lossAndGrad(w: Tensor, x: Tensor, y: Tensor): StepResult {
  const h = dropout(relu(matmul(x, w)), 0.25);
  const d = sub(h, y);
  const loss = mean(mul(d, d));
  const [g] = gradients(loss, [w]);
  return { tensors: [loss.detach(), g], meta: { rows: x.shape[0] } };
}

/** Each step's result values, from `run` under tidy, starting from one seed. */
async function stepValues(run: (s: number) => StepResult, steps = STEPS): Promise<number[][][]> {
  seed(7);
  const out: number[][][] = [];
  for (let s = 0; s < steps; s++) {
    const ts = tidy(() => run(s).tensors);
    out.push(await Promise.all(ts.map(values)));
    dispose(ts);
  }
  return out;
}

export function registerCapturedStep(ctx: ConformanceContext): void {
  describe('captured steps', () => {
    it('replay a step that traced alike twice, giving the eager values, random keys included', async () => {
      const { x, y, xs, ys } = batches();
      const w = tensor([0.5, -0.2, 0.3, 0.1, 0.8, -0.6], [3, 2]);
      w.requiresGrad = true;
      const eager = await stepValues((s) => lossAndGrad(w, xs[s], ys[s]));
      const step = new CapturedStep(([a, b]) => lossAndGrad(w, a, b));
      let meta: unknown = null;
      const captured = await stepValues((s) => {
        const r = step.run([xs[s], ys[s]]);
        meta = r.meta;
        return r;
      });
      expect(captured).toEqual(eager);
      expect(meta).toEqual({ rows: ROWS });
      expect(step.stats).toMatchObject({ traces: 2, replays: STEPS - 2, eager: 0, refusal: null });
      // Dropout drew a fresh key each step: no two steps kept the same units.
      expect(new Set(eager.map((e) => JSON.stringify(e[1]))).size).toBe(STEPS);
      dispose([x, y, w, ...xs, ...ys]);
    });

    it('read a tensor held from before the step at its value now, after an assign outside the step', async () => {
      const { x, y, xs, ys } = batches();
      const w = tensor([0.5, -0.2, 0.3, 0.1, 0.8, -0.6], [3, 2]);
      w.requiresGrad = true;
      const run = (f: (s: number) => StepResult) =>
        stepValues((s) => {
          // An optimizer's update: a new storage for w between steps.
          if (s > 0) w.assign(tidy(() => add(w.detach(), 0.125 * s)));
          return f(s);
        });
      const start = await w.data();
      const eager = await run((s) => lossAndGrad(w, xs[s], ys[s]));
      w.assign(tensor(Array.from(start), [3, 2]));
      const step = new CapturedStep(([a, b]) => lossAndGrad(w, a, b));
      const captured = await run((s) => step.run([xs[s], ys[s]]));
      expect(captured).toEqual(eager);
      expect(step.stats.replays).toBe(STEPS - 2);
      dispose([x, y, w, ...xs, ...ys]);
    });

    it("replay a step given one tensor twice (an autoencoder's fit(x, x)) only while it still is", async () => {
      const { x, y, xs, ys } = batches();
      const other = xs.map((a) => mul(a, -1));
      const w = tensor([0.5, -0.2, 0.3, 0.1, 0.8, -0.6, 0.2, 0.4, -0.1], [3, 3]);
      const body = (a: Tensor, b: Tensor): StepResult => ({ tensors: [sum(mul(sub(matmul(a, w), b), 2))] });
      // The same tensor for both arguments, then (from step 4) a different one for the second.
      const pick = (s: number) => (s < 4 ? xs[s] : other[s]);
      const eager = await stepValues((s) => body(xs[s], pick(s)));
      const step = new CapturedStep(([a, b]) => body(a, b));
      const captured = await stepValues((s) => step.run([xs[s], pick(s)]));
      expect(captured).toEqual(eager);
      expect(step.stats.replays).toBe(2);
      expect(step.stats.refusal).toMatch(/no longer shares argument 1's storage/);
      dispose([x, y, w, ...xs, ...ys, ...other]);
    });

    it('replay a step that assigns to a tensor from before it, making the same assigns', async () => {
      const { x, y, xs, ys } = batches();
      const w = tensor([0.5, -0.2, 0.3, 0.1, 0.8, -0.6], [3, 2]);
      const count = tensor([0]);
      const body = (a: Tensor): StepResult => {
        count.assign(add(count, 1));
        // Read after the assign: the kernel takes the step's own new storage.
        return { tensors: [mul(sum(matmul(a, w)), count)] };
      };
      const eager = await stepValues((s) => body(xs[s]));
      count.assign(tensor([0]));
      const step = new CapturedStep(([a]) => body(a));
      const captured = await stepValues((s) => step.run([xs[s]]));
      expect(captured).toEqual(eager);
      expect(await values(count)).toEqual([STEPS]);
      expect(step.stats).toMatchObject({ traces: 2, replays: STEPS - 2, refusal: null });
      dispose([x, y, w, count, ...xs, ...ys]);
    });

    it('keep a step that assigns a storage it did not make, or to an argument, eager', async () => {
      const rows = Array.from({ length: STEPS }, (_, s) => tensor([s, s + 1, s + 2]));
      const last = tensor([0, 0, 0]);
      const step = new CapturedStep(([a]) => {
        last.assign(a);
        return { tensors: [sum(a)] };
      });
      await stepValues((s) => step.run([rows[s]]));
      expect(await values(last)).toEqual([STEPS - 1, STEPS, STEPS + 1]);
      expect(step.stats.replays).toBe(0);
      expect(step.stats.refusal).toMatch(/assigned a storage it did not make/);
      // After four traces that could not be replayed the step stops tracing.
      expect(step.stats).toMatchObject({ traces: 4, eager: STEPS - 4 });
      // Nor one that assigns to an argument: a replay's argument is another tensor.
      const bump = new CapturedStep(([a]) => {
        a.assign(add(a, 1));
        return { tensors: [sum(a)] };
      });
      await stepValues((s) => bump.run([rows[s]]));
      expect(await values(rows[STEPS - 1])).toEqual([STEPS, STEPS + 1, STEPS + 2]);
      expect(bump.stats.replays).toBe(0);
      expect(bump.stats.refusal).toMatch(/assigned to one of its arguments/);
      dispose([last, ...rows]);
    });

    it("run host steps in place of the step's JavaScript, with live values its kernels read", async () => {
      const { x, y, xs, ys } = batches();
      const acc = tensor([1, 2, 3]);
      // What an optimizer does: a step count, and a kernel scalar computed from it.
      let count = 0;
      const log: string[] = [];
      let refuse = false;
      const k = liveValues([0]);
      const body = (a: Tensor): StepResult => {
        k[0] = count + 1;
        const [[next]] = runElementwiseGroups(a.backend, ADD_SCALAR, [{ inputs: [acc], scalars: k, shape: [3] }], TAG);
        acc.assign(next);
        count++;
        activeTrace()?.hostStep({
          prepare: () => {
            log.push('prepare');
            if (refuse) return 'told to';
            k[0] = count + 1;
            return null;
          },
          commit: () => {
            log.push('commit');
            count++;
          },
          rollback: () => log.push('rollback'),
        });
        return { tensors: [sum(a)] };
      };
      const step = new CapturedStep(([a]) => body(a));
      const run = (s: number) => dispose(tidy(() => step.run([xs[s]]).tensors));
      for (let s = 0; s < STEPS; s++) run(s);
      // Step s added s + 1 to every element.
      const added = (STEPS * (STEPS + 1)) / 2;
      expect(await values(acc)).toEqual([1 + added, 2 + added, 3 + added]);
      expect(count).toBe(STEPS);
      expect(log).toEqual(Array.from({ length: STEPS - 2 }, () => ['prepare', 'commit']).flat());
      expect(step.stats).toMatchObject({ traces: 2, replays: STEPS - 2 });

      // A prepare that refuses: the step is traced again, and runs its own JavaScript.
      log.length = 0;
      refuse = true;
      run(0);
      expect(log).toEqual(['prepare']);
      expect(step.stats.refusal).toBe('told to');
      expect(count).toBe(STEPS + 1);
      refuse = false;
      run(1);
      log.length = 0;

      // A kernel that throws: the host steps roll back and no tensor changed.
      const before = await values(acc);
      const backend = getBackend() as unknown as Record<string, unknown>;
      const own = Object.getOwnPropertyDescriptor(backend, 'reduce');
      backend.reduce = () => {
        throw new Error('kernel failed');
      };
      try {
        expect(() => run(2)).toThrow(/kernel failed/);
      } finally {
        if (own) Object.defineProperty(backend, 'reduce', own);
        else delete backend.reduce;
      }
      expect(log).toEqual(['prepare', 'rollback']);
      expect(await values(acc)).toEqual(before);
      expect(count).toBe(STEPS + 2);
      run(3);
      expect(count).toBe(STEPS + 3);
      const more = STEPS + 3;
      expect(await values(acc)).toEqual(before.map((v) => v + more));
      dispose([x, y, acc, ...xs, ...ys]);
    });

    if (ctx.sync) {
      it('keep a step that reads values back to the host eager', async () => {
        const { x, y, xs, ys } = batches();
        // What the step does next depends on a value it read: a replay could not repeat that.
        const body = (a: Tensor): StepResult => ({ tensors: [sum(a).dataSync()[0] > 0 ? mul(a, 2) : sub(a, 1)] });
        const step = new CapturedStep(([a]) => body(a));
        const captured = await stepValues((s) => step.run([xs[s]]));
        expect(captured).toEqual(await stepValues((s) => body(xs[s])));
        expect(step.stats.replays).toBe(0);
        expect(step.stats.refusal).toMatch(/readSync/);
        dispose([x, y, ...xs, ...ys]);
      });
    }

    it('keep a step that draws a random key no random kernel uses eager', async () => {
      const { x, y, xs, ys } = batches();
      const step = new CapturedStep(([a]) => {
        const k = nextKey();
        return { tensors: [mul(a, k % 2 === 0 ? 1 : -1)] };
      });
      await stepValues((s) => step.run([xs[s]]));
      expect(step.stats.replays).toBe(0);
      expect(step.stats.refusal).toMatch(/random key/);
      dispose([x, y, ...xs, ...ys]);
    });

    it('trace again when a tensor the step reads was disposed and replaced', async () => {
      const { x, y, xs, ys } = batches();
      let w = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
      const body = (a: Tensor): StepResult => ({ tensors: [matmul(a, w)] });
      const step = new CapturedStep(([a]) => body(a));
      const replace = (s: number) => {
        if (s === 4) {
          w.dispose();
          w = keep(tensor([6, 5, 4, 3, 2, 1], [3, 2]));
        }
      };
      const captured = await stepValues((s) => (replace(s), step.run([xs[s]])));
      w.dispose();
      w = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
      const eager = await stepValues((s) => (replace(s), body(xs[s])));
      expect(captured).toEqual(eager);
      expect(step.stats.refusal).toMatch(/disposed/);
      expect(step.stats).toMatchObject({ traces: 4, replays: 2 });
      dispose([x, y, w, ...xs, ...ys]);
    });

    it('trace arguments of another shape apart and leave memory where it was', async () => {
      const { x, y, xs, ys } = batches();
      const w = tensor([0.5, -0.2, 0.3, 0.1, 0.8, -0.6], [3, 2]);
      w.requiresGrad = true;
      const before = footprint();
      const step = new CapturedStep(([a, b]) => lossAndGrad(w, a, b));
      const halves = xs.map((a) => slice(a, [0, 0], [2, 3]));
      const halfYs = ys.map((b) => slice(b, [0, 0], [2, 2]));
      for (let s = 0; s < STEPS; s++) {
        const r = tidy(() => [...step.run([xs[s], ys[s]]).tensors, ...step.run([halves[s], halfYs[s]]).tensors]);
        expect(r[0].shape).toEqual([]);
        expect(r[3].shape).toEqual([3, 2]);
        dispose(r);
      }
      expect(step.stats).toMatchObject({ traces: 4, replays: 2 * (STEPS - 2) });
      dispose([...halves, ...halfYs]);
      expect(footprint()).toEqual(before);
      dispose([x, y, w, ...xs, ...ys]);
    });

    it('free what a replay made when one of its kernels throws', async () => {
      const { x, y, xs, ys } = batches();
      const w = tensor([0.5, -0.2, 0.3, 0.1, 0.8, -0.6], [3, 2]);
      w.requiresGrad = true;
      const step = new CapturedStep(([a, b]) => lossAndGrad(w, a, b));
      for (let s = 0; s < 3; s++) dispose(tidy(() => step.run([xs[s], ys[s]]).tensors));
      const backend = getBackend() as unknown as Record<string, unknown>;
      const own = Object.getOwnPropertyDescriptor(backend, 'reduce');
      const reduce = backend.reduce as (...a: unknown[]) => unknown;
      // The loss's mean is the step's last reduction: everything before it was made.
      backend.reduce = () => {
        throw new Error('kernel failed');
      };
      const before = footprint();
      try {
        expect(() => tidy(() => step.run([xs[3], ys[3]]).tensors)).toThrow(/kernel failed/);
      } finally {
        if (own) Object.defineProperty(backend, 'reduce', own);
        else delete backend.reduce;
      }
      expect(footprint()).toEqual(before);
      expect(backend.reduce).toBe(reduce);
      dispose(tidy(() => step.run([xs[4], ys[4]]).tensors));
      expect(step.stats.replays).toBe(2);
      dispose([x, y, w, ...xs, ...ys]);
    });

    it('replay int32 arguments only where the index checks the trace skipped would pass', async () => {
      const table = tensor([10, 20, 30, 40], [4, 1]);
      const known = tensor([0, 3, 1, 2], [4], 'int32');
      const big = tensor([0, 1, 2, 3, 4, 5, 6, 7], [8], 'int32');
      const outside = slice(big, [4], [8]);
      const step = new CapturedStep(([i]) => ({ tensors: [gather(table, i)] }));
      for (let s = 0; s < 3; s++) dispose(tidy(() => step.run([known]).tensors));
      expect(step.stats.replays).toBe(1);
      // Values up to 7 here: eager would check them against the table's 4 rows.
      await expect(async () => {
        const r = tidy(() => step.run([outside]).tensors);
        try {
          await values(r[0]);
        } finally {
          dispose(r);
        }
      }).rejects.toThrow(/gather/);
      expect(step.stats.replays).toBe(1);
      expect(step.stats.refusal).toMatch(/value range/);
      dispose([table, known, big, outside]);
    });
  });
}
