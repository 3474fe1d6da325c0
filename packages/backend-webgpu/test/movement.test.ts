import { beforeAll, describe, expect, it } from 'vitest';
import { acquireTestGpu, gpuAvailable } from './gpu';
import { data, Differential, ints } from './harness';

/** concat, pad, gather and scatter-add over strided views and every dtype, against the CPU backend. */

const gpu = await acquireTestGpu();

describe.runIf(gpuAvailable(gpu, it))('webgpu movement', () => {
  let diff: Differential;
  beforeAll(() => {
    diff = new Differential(gpu.backend());
  });

  it('concatenates along each axis, with strided inputs', async () => {
    for (const axis of [0, 1, 2]) {
      const a = [2, 3, 4];
      const bShape = [2, 3, 4];
      bShape[axis] = 5;
      const out = [...a];
      out[axis] = a[axis] + 5;
      await diff.check((b, put) =>
        b.concat(
          [
            put({ data: data(24, 1), shape: a }),
            put({
              data: data(
                bShape.reduce((x, y) => x * y, 1),
                2,
              ),
              shape: bShape,
            }),
          ],
          axis,
          out,
        ),
      );
    }
    // A transposed int32 input beside a dense one.
    await diff.check((b, put) =>
      b.concat(
        [
          put({ data: ints(12, 3, -50, 50), dtype: 'int32', shape: [3, 4], strides: [1, 3] }),
          put({ data: ints(8, 4, -50, 50), dtype: 'int32', shape: [2, 4] }),
        ],
        0,
        [5, 4],
      ),
    );
  });

  it('concatenates bool tensors and empty pieces', async () => {
    await diff.check((b, put) =>
      b.concat(
        [
          put({ data: [1, 0, 1], dtype: 'bool', shape: [3] }),
          put({ data: [], dtype: 'bool', shape: [0] }),
          put({ data: [0, 1], dtype: 'bool', shape: [2] }),
        ],
        0,
        [5],
      ),
    );
  });

  it('pads every axis with a value, converting it to the dtype', async () => {
    await diff.check((b, put) =>
      b.pad(
        put({ data: data(12, 5), shape: [3, 4] }),
        [
          [1, 2],
          [0, 3],
        ],
        -1.5,
      ),
    );
    await diff.check((b, put) =>
      b.pad(
        put({ data: ints(6, 6, -9, 9), dtype: 'int32', shape: [2, 3], strides: [1, 2] }),
        [
          [2, 0],
          [1, 1],
        ],
        7,
      ),
    );
    await diff.check((b, put) => b.pad(put({ data: [1, 0], dtype: 'bool', shape: [2] }), [[1, 1]], 1));
    await diff.check((b, put) =>
      b.pad(
        put({ data: [], shape: [0, 2] }),
        [
          [1, 0],
          [0, 0],
        ],
        3,
      ),
    );
    await diff.check((b, put) => b.pad(put({ data: [4], shape: [] }), [], 0));
  });

  it('gathers along each axis with repeated indices and a strided source', async () => {
    const x = data(2 * 5 * 3, 7);
    const idx = [4, 0, 4, 2];
    await diff.check((b, put) =>
      b.gather(put({ data: x, shape: [10, 3] }), put({ data: [9, 0, 3, 3, 1], dtype: 'int32', shape: [5] }), 0),
    );
    await diff.check((b, put) =>
      b.gather(put({ data: x, shape: [2, 5, 3] }), put({ data: idx, dtype: 'int32', shape: [2, 2] }), 1),
    );
    await diff.check((b, put) =>
      b.gather(
        put({ data: x, shape: [3, 5, 2], strides: [1, 3, 15] }),
        put({ data: [1, 0, 1], dtype: 'int32', shape: [3] }),
        2,
      ),
    );
    await diff.check((b, put) =>
      b.gather(
        put({ data: ints(10, 8, 0, 100), dtype: 'int32', shape: [10] }),
        put({ data: [], dtype: 'int32', shape: [0] }),
        0,
      ),
    );
  });

  it('writes 0 for out-of-range gather indices instead of reading out of bounds, and the next read reports them', async () => {
    const g = diff.gpu;
    const x = g.write(new Float32Array([1, 2, 3]), 'float32');
    const i = g.write(new Int32Array([2, 3, -1, 0]), 'int32');
    const id = g.gather(
      { data: x, dtype: 'float32', shape: [3], strides: [1], offset: 0 },
      { data: i, dtype: 'int32', shape: [4], strides: [1], offset: 0 },
      0,
    );
    // Which of the two bad indices is named depends on which thread records first.
    await expect(g.read(id)).rejects.toThrow(/^gather: an index outside \[0, 3\) was found on the GPU: (3|-1) /);
    expect(Array.from(await g.read(id))).toEqual([3, 0, 0, 1]);
    for (const d of [x, i, id]) g.free(d);
  });

  it('scatter-adds repeated indices (float32 and int32)', async () => {
    const u = data(4 * 6, 9);
    await diff.check(
      (b, put) =>
        b.scatterAdd(
          put({ data: u, shape: [4, 6] }),
          put({ data: [2, 0, 2, 2], dtype: 'int32', shape: [4] }),
          0,
          [3, 6],
        ),
      { atol: 1e-6, rtol: 1e-6 },
    );
    await diff.check(
      (b, put) =>
        b.scatterAdd(
          put({ data: u, shape: [2, 4, 3] }),
          put({ data: [1, 1, 0, 1], dtype: 'int32', shape: [4] }),
          1,
          [2, 2, 3],
        ),
      { atol: 1e-6, rtol: 1e-6 },
    );
    await diff.check((b, put) =>
      b.scatterAdd(
        put({ data: ints(12, 10, -5, 5), dtype: 'int32', shape: [12], strides: [1] }),
        put({ data: ints(12, 11, 0, 4), dtype: 'int32', shape: [12] }),
        0,
        [4],
      ),
    );
    // Many updates into few cells: atomics must not lose any.
    const n = 20000;
    const [sum] = await diff.check(
      (b, put) =>
        b.scatterAdd(
          put({ data: new Array(n).fill(1), shape: [n] }),
          put({ data: ints(n, 12, 0, 3), dtype: 'int32', shape: [n] }),
          0,
          [3],
        ),
      { atol: 0, rtol: 0 },
    );
    expect(sum[0] + sum[1] + sum[2]).toBe(n);
    expect(diff.gpu.memory()).toEqual({ buffers: 0, bytes: 0 });
  });
});
