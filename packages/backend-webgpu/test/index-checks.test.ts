import '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { crossEntropy } from '@tsdl/nn';
import {
  ArgumentError,
  type Backend,
  type Tensor,
  argmax,
  gather,
  slice,
  softmaxCrossEntropy,
  tensor,
} from '@tsdl/tensor';
import { expectAllClose } from '@tsdl/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireTestGpu, gpuAvailable } from './gpu';
import { BAD, GOOD, expectReadRejects, ints, logitsOn } from './labels';
import { data } from './harness';

/**
 * Bad labels and indices throw an ArgumentError naming the op and the value at the call on
 * WebGPU too, where nothing can be read synchronously, when they were written from host data
 * (the frontend keeps a copy: index-range.ts); a batch gathered from such labels has a known
 * range but not known values, so a bad one there makes the next read reject. Good ones give
 * the CPU backend's values.
 */

const gpu = await acquireTestGpu();

/** The order a shuffled epoch visits the rows in: row 3 comes fourth. */
const ORDER = [5, 1, 0, 3, 2, 4];

describe.runIf(gpuAvailable(gpu, it))('webgpu index and label checks', () => {
  let g: Backend;
  const c = cpu({ name: 'cpu-index-checks' });
  beforeAll(() => {
    g = gpu.backend('webgpu-index-checks');
  });

  it('softmaxCrossEntropy throws an ArgumentError naming a bad label and its row', () => {
    const call = () => softmaxCrossEntropy(logitsOn(g), ints(g, BAD));
    expect(call).toThrow(ArgumentError);
    expect(call).toThrow('softmaxCrossEntropy: label 7 at row 3 is out of range for 4 classes (expected 0 to 3)');
    expect(() => softmaxCrossEntropy(logitsOn(g), ints(g, [0, 1, 2, 3, -1, 0]))).toThrow('label -1 at row 4');
  });

  it('gather throws an ArgumentError naming a bad index', () => {
    const x = tensor(Float32Array.from(data(12, 32)), [4, 3], 'float32', { backend: g });
    expect(() => gather(x, ints(g, [0, 4]))).toThrow(ArgumentError);
    expect(() => gather(x, ints(g, [0, 4]))).toThrow(
      'gather: index 4 is out of range for an axis of size 4 (expected 0 to 3)',
    );
    expect(() => gather(x, ints(g, [-2]), 1)).toThrow('gather: index -2 is out of range for an axis of size 3');
  });

  it('a shuffled batch holding a bad label makes the read reject, naming the op and the label; the others run', async () => {
    const labels = ints(g, BAD);
    const order = ints(g, ORDER);
    const found = 'softmaxCrossEntropy: a label outside [0, 4) was found on the GPU: 7';
    // The whole epoch in one batch: the host knows its range, [0, 7], not its values, so the kernel checks them.
    await expectReadRejects(softmaxCrossEntropy(logitsOn(g), gather(labels, order)), found);
    // Batches of two, as fit takes them (slices of the epoch's order): only the second holds row 3.
    const batch = (k: number): Tensor => gather(labels, slice(order, [2 * k], [2 * k + 2]));
    await expectReadRejects(softmaxCrossEntropy(logitsOn(g, 2), batch(1)), found);
    for (const k of [0, 2]) {
      const want = await softmaxCrossEntropy(
        logitsOn(c, 2),
        gather(ints(c, BAD), ints(c, ORDER.slice(2 * k, 2 * k + 2))),
      ).data();
      expectAllClose(await softmaxCrossEntropy(logitsOn(g, 2), batch(k)).data(), want, { atol: 1e-6, rtol: 1e-5 });
    }
  });

  it("nn's crossEntropy throws on a bad target, rejects the read for a bad gathered one, and skips ignoreIndex", async () => {
    expect(() => crossEntropy(logitsOn(g), ints(g, BAD))).toThrow(
      'crossEntropy: target 7 is out of range for 4 classes',
    );
    await expectReadRejects(
      crossEntropy(logitsOn(g), gather(ints(g, BAD), ints(g, ORDER))),
      'softmaxCrossEntropy: a label outside [0, 4) was found on the GPU: 7',
    );
    const ignoring = [0, 3, -100, 2, 2, 1];
    const want = await crossEntropy(logitsOn(c), ints(c, ignoring)).data();
    expectAllClose(await crossEntropy(logitsOn(g), ints(g, ignoring)).data(), want, { atol: 1e-6, rtol: 1e-5 });
  });

  it('in-range labels and indices give the CPU values', async () => {
    const tol = { atol: 1e-6, rtol: 1e-5 };
    expectAllClose(
      await softmaxCrossEntropy(logitsOn(g), ints(g, GOOD)).data(),
      await softmaxCrossEntropy(logitsOn(c), ints(c, GOOD)).data(),
      tol,
    );
    expectAllClose(
      await crossEntropy(logitsOn(g), gather(ints(g, GOOD), ints(g, ORDER))).data(),
      await crossEntropy(logitsOn(c), gather(ints(c, GOOD), ints(c, ORDER))).data(),
      tol,
    );
    // Indices made on the device by argmax: in range by construction, so checked without a read.
    const picked = (b: Backend) => gather(ints(b, GOOD), argmax(logitsOn(b), 1));
    expect(Array.from(await picked(g).data())).toEqual(Array.from(await picked(c).data()));
  });
});
