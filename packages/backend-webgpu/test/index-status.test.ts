import { gradients } from '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { ArgumentError, type Backend, add, gather, scatterAdd, softmaxCrossEntropy, sum } from '@tsdl/tensor';
import { expectAllClose } from '@tsdl/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
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
 * Indices and labels computed on the GPU, whose range the frontend cannot know without a
 * read (index-checks.test.ts covers those it knows): a kernel that meets a bad one records
 * it in the device's index status, and the next read throws an ArgumentError naming the
 * kernel, the range and the value instead of returning data. The status is cleared by the
 * read that reports it, so the read after that returns the defined values the kernel wrote
 * (NaN rows, zeros, skipped updates). Good device-computed indices give the CPU's values.
 */

const gpu = await acquireTestGpu();

describe.runIf(gpuAvailable(gpu, it))('webgpu index status: bad indices computed on the device', () => {
  let g: Backend;
  const c = cpu({ name: 'cpu-index-status' });
  beforeAll(() => {
    g = gpu.backend('webgpu-index-status');
  });

  it('softmaxCrossEntropy: the read throws naming the op, the range and the label; the next read gives NaN for its row', async () => {
    const loss = softmaxCrossEntropy(logitsOn(g), castLabels(g, BAD));
    await expectReadRejects(
      loss,
      'softmaxCrossEntropy: a label outside [0, 4) was found on the GPU: 7 (labels computed on the device are checked when a result is read',
    );
    const want = await values(softmaxCrossEntropy(logitsOn(c), ints(c, GOOD)));
    want[3] = NaN;
    expectAllClose(await values(loss), want, TOL);
    // A negative label, in the composed nn way (labels − 1 + 1).
    await expectReadRejects(
      softmaxCrossEntropy(logitsOn(g), computedInts(g, [0, 1, 2, 3, -1, 0])),
      'a label outside [0, 4) was found on the GPU: -1',
    );
  });

  it('softmaxCrossEntropyGrad through autograd: the gradient read names the gradient kernel; good rows keep their values', async () => {
    const x = logitsOn(g);
    x.requiresGrad = true;
    const loss = sum(softmaxCrossEntropy(x, castLabels(g, BAD)));
    // The forward kernel met the label first: reading the loss reports it and clears the status.
    await expectReadRejects(loss, 'softmaxCrossEntropy: a label outside [0, 4)');
    const [dx] = gradients(loss, [x]);
    await expectReadRejects(dx, 'softmaxCrossEntropyGrad: a label outside [0, 4) was found on the GPU: 7');
    const xc = logitsOn(c);
    xc.requiresGrad = true;
    const want = await values(gradients(sum(softmaxCrossEntropy(xc, ints(c, GOOD))), [xc])[0]);
    want.fill(NaN, 3 * C, 4 * C);
    expectAllClose(await values(dx), want, TOL);
  });

  it('gather: the read throws naming the op, the axis range and the index; the next read gives 0 for it', async () => {
    const x = floats(g, data(12, 42), [4, 3]);
    const out = gather(x, computedInts(g, [2, 4, 0]));
    await expectReadRejects(
      out,
      'gather: an index outside [0, 4) was found on the GPU: 4 (indices computed on the device are checked when a result is read',
    );
    const rows = data(12, 42).map(Math.fround);
    expect(await values(out)).toEqual([...rows.slice(6, 9), 0, 0, 0, ...rows.slice(0, 3)]);
    await expectReadRejects(
      gather(x, computedInts(g, [-2, 1]), 1),
      'gather: an index outside [0, 3) was found on the GPU: -2',
    );
  });

  it('scatterAdd: the read throws naming the op, the range and the index; the next read has the update skipped', async () => {
    const u = floats(g, [1, 2, 3, 4, 5, 6], [3, 2]);
    const out = scatterAdd(u, computedInts(g, [1, 5, 1]), 0, [3, 2]);
    await expectReadRejects(
      out,
      'scatterAdd: an index outside [0, 3) was found on the GPU: 5 (indices computed on the device are checked when a result is read',
    );
    expect(await values(out)).toEqual([0, 0, 6, 8, 0, 0]);
  });

  it('reports a bad index once, to the first read after it, whichever tensor it reads', async () => {
    const bad = gather(floats(g, [1, 2, 3]), computedInts(g, [3]));
    const other = add(floats(g, [1, 2]), 1);
    // Both reads are in flight together: the first submitted carries the status and clears it.
    const [first, second] = await Promise.allSettled([other.data(), bad.data()]);
    expect(first.status).toBe('rejected');
    expect((first as PromiseRejectedResult).reason).toBeInstanceOf(ArgumentError);
    expect(second).toEqual({ status: 'fulfilled', value: new Float32Array([0]) });
    expect(await values(other)).toEqual([2, 3]);
  });

  it('in-range indices and labels computed on the device give the CPU values, and reads do not throw', async () => {
    const sce = (b: Backend) => softmaxCrossEntropy(logitsOn(b), castLabels(b, GOOD));
    expectAllClose(await values(sce(g)), await values(sce(c)), TOL);
    const grad = async (b: Backend) => {
      const x = logitsOn(b);
      x.requiresGrad = true;
      return values(gradients(sum(softmaxCrossEntropy(x, computedInts(b, GOOD))), [x])[0]);
    };
    expectAllClose(await grad(g), await grad(c), TOL);
    const gathered = (b: Backend) => gather(floats(b, data(12, 43), [3, 4]), computedInts(b, [3, 0, 3]), 1);
    expect(await values(gathered(g))).toEqual(await values(gathered(c)));
    const scattered = (b: Backend) =>
      scatterAdd(floats(b, data(8, 44), [4, 2]), computedInts(b, [2, 0, 2, 1]), 0, [3, 2]);
    expectAllClose(await values(scattered(g)), await values(scattered(c)), TOL);
  });
});
