import '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { Dense, Sequential, optimizers } from '@tsdl/keras';
import { crossEntropy, nllLoss } from '@tsdl/nn';
import { type Backend, type Tensor, gather, logSoftmax, oneHot, setBackend } from '@tsdl/tensor';
import { expectAllClose } from '@tsdl/test-utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { WebGpuBackend } from '../src/index';
import { acquireTestGpu, gpuAvailable } from './gpu';
import {
  C,
  GOOD,
  BAD,
  TOL,
  floats,
  ints,
  logitsOn,
  castLabels,
  computedInts,
  values,
  expectReadRejects,
} from './labels';
import { data } from './harness';

/**
 * Indices computed on the GPU that no kernel takes as indices: oneHot is an elementwise
 * `eq` (a bad index gives a zero row) and nn's nllLoss picks each row's term through it (a
 * bad target gives a zero term, a finite and wrong loss). The frontend has the backend
 * check them (Backend.checkIndices: one small kernel recording into the index status), so
 * the next read rejects with an ArgumentError naming the op, the range and the value, as
 * the CPU throws at the call. Indices whose range the host knows run no such kernel.
 */

const gpu = await acquireTestGpu();

const logProbs = (b: Backend): Tensor => logSoftmax(logitsOn(b), -1);

describe.runIf(gpuAvailable(gpu, it))(
  'webgpu checkIndices: oneHot and nllLoss on indices computed on the device',
  () => {
    let g: WebGpuBackend;
    const c = cpu({ name: 'cpu-check-indices' });
    beforeAll(() => {
      g = gpu.backend('webgpu-check-indices');
    });

    /** How many checkIndices kernels `fn` dispatches. */
    const checkKernels = (fn: () => unknown): number => {
      const spy = vi.spyOn(g.rt, 'dispatch');
      try {
        fn();
        return spy.mock.calls.filter(([k]) => k.key.startsWith('checkIndices|')).length;
      } finally {
        spy.mockRestore();
      }
    };

    it('oneHot: the read rejects naming the op, the range and the index; the next read has a zero row for it', async () => {
      const rows = oneHot(castLabels(g, BAD), C);
      await expectReadRejects(
        rows,
        'oneHot: an index outside [0, 4) was found on the GPU: 7 (indices computed on the device are checked when a result is read',
      );
      const want = await values(oneHot(ints(c, GOOD), C));
      want.fill(0, 3 * C, 4 * C);
      expect(await values(rows)).toEqual(want);
      // A negative one, through a strided view of a [2, 3] tensor (its transpose).
      const t = computedInts(g, [0, 1, 2, 3, -2, 1]).reshape([2, 3]).transpose([1, 0]);
      await expectReadRejects(oneHot(t, C), 'oneHot: an index outside [0, 4) was found on the GPU: -2');
    });

    it('nllLoss: the read rejects naming the loss, the range, the ignored value and the target', async () => {
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        await expectReadRejects(
          nllLoss(logProbs(g), castLabels(g, BAD), { reduction }),
          'nllLoss: an index outside [0, 4) other than -100 was found on the GPU: 7 (indices computed on the device are checked when a result is read',
        );
      }
      // The CPU throws at the call for the same targets.
      expect(() => nllLoss(logProbs(c), castLabels(c, BAD))).toThrow('nllLoss: target 7 is out of range for 4 classes');
      // crossEntropy with class weights picks its terms the same way (not through the fused kernel).
      const weight = floats(g, [1, 2, 0.5, 1]);
      await expectReadRejects(
        crossEntropy(logitsOn(g), computedInts(g, BAD), { weight }),
        'crossEntropy: an index outside [0, 4) other than -100 was found on the GPU: 7',
      );
    });

    it('ignoreIndex targets pass and give the CPU values; another value outside the range does not', async () => {
      const ignoring = [0, -100, 1, 3, -100, 2];
      const loss = (b: Backend, t: Tensor) => nllLoss(logProbs(b), t, { reduction: 'none' });
      expectAllClose(await values(loss(g, castLabels(g, ignoring))), await values(loss(c, ints(c, ignoring))), TOL);
      const own = [0, 4, 1, 3, 4, 2];
      const mean = (b: Backend, t: Tensor) => nllLoss(logProbs(b), t, { ignoreIndex: 4 });
      expectAllClose(await values(mean(g, computedInts(g, own))), await values(mean(c, ints(c, own))), TOL);
      await expectReadRejects(
        mean(g, computedInts(g, ignoring)),
        'nllLoss: an index outside [0, 4) other than 4 was found on the GPU: -100',
      );
    });

    it('in-range targets and indices computed on the device give the CPU values, and reads do not throw', async () => {
      const weight = (b: Backend) => floats(b, [1, 2, 0.5, 1]);
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const loss = (b: Backend) => nllLoss(logProbs(b), castLabels(b, GOOD), { reduction, weight: weight(b) });
        expectAllClose(await values(loss(g)), await values(loss(c)), TOL);
      }
      expect(await values(oneHot(computedInts(g, GOOD), C))).toEqual(await values(oneHot(ints(c, GOOD), C)));
    });

    it('runs one check kernel for device-computed targets and none where the host knows the range', () => {
      const computed = castLabels(g, GOOD);
      expect(checkKernels(() => nllLoss(logProbs(g), computed))).toBe(1);
      expect(checkKernels(() => oneHot(computed, C))).toBe(1);
      // Host-written labels and a batch gathered from them, as fit's shuffled batches.
      const labels = ints(g, GOOD);
      expect(checkKernels(() => nllLoss(logProbs(g), labels))).toBe(0);
      expect(checkKernels(() => nllLoss(logProbs(g), gather(labels, ints(g, [5, 0, 3, 1, 2, 4]))))).toBe(0);
      // The fused cross-entropy kernel checks its labels itself.
      expect(checkKernels(() => crossEntropy(logitsOn(g), computed))).toBe(0);
    });
  },
);

describe.runIf(gpuAvailable(gpu, it))(
  'webgpu checkIndices: Keras fit on float labels with a non-softmax output (nllLoss)',
  () => {
    const X = data(8 * 5, 52, -1, 1);
    let g: WebGpuBackend;
    beforeAll(() => {
      g = gpu.backend('webgpu-check-indices-fit');
    });
    afterAll(() => setBackend(cpu({ name: 'cpu-after-fit' })));

    /** A sigmoid output: fit cannot fold it into a fused softmax loss, so sparse_categorical_crossentropy runs nllLoss. */
    async function fitLoss(b: Backend, labels: readonly number[]): Promise<number> {
      setBackend(b);
      const m = new Sequential([new Dense({ units: 3, activation: 'sigmoid', inputShape: [5], seed: 7 })]);
      m.compile({ optimizer: optimizers.SGD({ learningRate: 0.1 }), loss: 'sparse_categorical_crossentropy' });
      // Float labels: fit casts each batch to int32 on the device, so the host does not know their range.
      const h = await m.fit(floats(b, X, [8, 5]), floats(b, labels), { epochs: 1, batchSize: 4, verbose: 0, seed: 3 });
      return h.history.loss[0];
    }

    it('rejects when it reads the loss of a bad label, naming nllLoss; good labels give the CPU loss', async () => {
      await expect(fitLoss(g, [0, 2, 1, 1, 5, 0, 2, 1])).rejects.toThrow(
        'nllLoss: an index outside [0, 3) other than -100 was found on the GPU: 5',
      );
      const good = [0, 2, 1, 1, 2, 0, 2, 1];
      expect(await fitLoss(g, good)).toBeCloseTo(await fitLoss(cpu({ name: 'cpu-fit' }), good), 5);
    });
  },
);
