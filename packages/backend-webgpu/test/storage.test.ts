import '@tsdl/autograd';
import { grad } from '@tsdl/autograd';
import { BackendError, matmul, relu, setBackend, sum, type Tensor, tensor, tidy } from '@tsdl/tensor';
import { E, exprKey, contiguousStrides } from '@tsdl/tensor/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeviceLostError,
  GpuOutOfMemoryError,
  GpuValidationError,
  noAdapterMessage,
  webgpu,
  type WebGpuBackend,
} from '../src/index';
import { acquireTestGpu, gpuAvailable } from './gpu';
import { data } from './harness';

/** Storage, pooling, batching order, error reporting, and the frontend on top of the backend. */

const gpu = await acquireTestGpu();

const view = (data: object, dtype: 'float32' | 'int32' | 'bool', shape: number[]) => ({
  data,
  dtype,
  shape,
  strides: contiguousStrides(shape),
  offset: 0,
});

describe.runIf(gpuAvailable(gpu, it))('webgpu storage and errors', () => {
  let g: WebGpuBackend;
  beforeAll(() => {
    g = gpu.backend('webgpu-storage');
  });

  it('round-trips every dtype; bool comes back as a Uint8Array of 0/1', async () => {
    const f = g.write(new Float32Array([1.5, -0, NaN, Infinity, 3.4e38]), 'float32');
    const i = g.write(new Int32Array([-2147483648, 2147483647, 0, -1]), 'int32');
    const b = g.write(new Uint8Array([1, 0, 1, 1]), 'bool');
    const e = g.write(new Float32Array(0), 'float32');
    const rf = await g.read(f);
    expect(rf).toBeInstanceOf(Float32Array);
    expect(Array.from(rf)).toEqual([1.5, -0, NaN, Infinity, Math.fround(3.4e38)]);
    const ri = await g.read(i);
    expect(ri).toBeInstanceOf(Int32Array);
    expect(Array.from(ri)).toEqual([-2147483648, 2147483647, 0, -1]);
    const rb = await g.read(b);
    expect(rb).toBeInstanceOf(Uint8Array);
    expect(Array.from(rb)).toEqual([1, 0, 1, 1]);
    expect((await g.read(e)).length).toBe(0);
    // memory() counts the bytes the frontend accounts for: 4 per float32/int32, 1 per bool.
    expect(g.memory()).toEqual({ buffers: 4, bytes: 20 + 16 + 4 });
    for (const d of [f, i, b, e]) g.free(d);
    expect(g.memory()).toEqual({ buffers: 0, bytes: 0 });
  });

  it('reuses pooled buffers: a loop of ops allocates nothing after its first step', async () => {
    const e = E.mul(E.add(E.in(0), E.c(1)), E.in(0));
    const step = () => {
      const x = g.write(new Float32Array(data(1000, 1)), 'float32');
      const [y] = g.elementwise({
        exprs: [e],
        inputs: [view(x, 'float32', [1000])],
        scalars: [],
        shape: [1000],
        dtypes: ['float32'],
        key: exprKey(e),
      });
      const s = g.reduce('sum', view(y, 'float32', [1000]), 1, 'float32');
      for (const d of [x, y, s]) g.free(d);
    };
    step();
    const pooled = g.poolStats();
    for (let i = 0; i < 200; i++) step();
    expect(g.poolStats()).toEqual(pooled);
    expect(g.memory()).toEqual({ buffers: 0, bytes: 0 });
  });

  it('reuses bind groups: the same kernels over the same pooled buffers create none after the first step, and values stay right', async () => {
    const e = E.mul(E.add(E.in(0), E.s(0)), E.in(0));
    const other = E.u('neg', E.in(0));
    const device = g.device;
    const create = device.createBindGroup.bind(device);
    let created = 0;
    device.createBindGroup = (d: GPUBindGroupDescriptor) => {
      created++;
      return create(d);
    };
    try {
      // Each step's parameter (the scalar) differs while its buffers recur: the parameters travel
      // by dynamic offset, so a cached bind group must still see this step's value.
      const step = async (i: number) => {
        const x = g.write(new Float32Array([1, 2, 3]), 'float32');
        // Another kernel first, so this step's parameters sit past the start of the arena.
        const [z] = g.elementwise({
          exprs: [other],
          inputs: [view(x, 'float32', [3])],
          scalars: [],
          shape: [3],
          dtypes: ['float32'],
          key: exprKey(other),
        });
        const [y] = g.elementwise({
          exprs: [e],
          inputs: [view(x, 'float32', [3])],
          scalars: [i],
          shape: [3],
          dtypes: ['float32'],
          key: exprKey(e),
        });
        const got = Array.from(await g.read(y));
        // Freed in reverse order, so the pool (last in, first out) hands each buffer back in its role.
        for (const d of [y, z, x]) g.free(d);
        return got;
      };
      await step(0);
      const after = created;
      for (let i = 1; i <= 5; i++) expect(await step(i)).toEqual([1, 2, 3].map((v) => (v + i) * v));
      expect(created).toBe(after);
    } finally {
      device.createBindGroup = create;
    }
  });

  it('keeps order when a freed buffer is reused by a write while a pending kernel still reads it', async () => {
    const e = E.mul(E.in(0), E.c(2));
    const a = g.write(new Float32Array([1, 2, 3, 4]), 'float32');
    const [y] = g.elementwise({
      exprs: [e],
      inputs: [view(a, 'float32', [4])],
      scalars: [],
      shape: [4],
      dtypes: ['float32'],
      key: exprKey(e),
    });
    g.free(a);
    // Same size class: the pool hands a's buffer to b, and the write must not overtake the kernel.
    const b = g.write(new Float32Array([100, 100, 100, 100]), 'float32');
    expect(Array.from(await g.read(y))).toEqual([2, 4, 6, 8]);
    expect(Array.from(await g.read(b))).toEqual([100, 100, 100, 100]);
    g.free(y);
    g.free(b);
  });

  it('throws GpuOutOfMemoryError at once for a tensor larger than the largest storage buffer', () => {
    const max = g.rt.limits.maxStorageBufferBindingSize;
    expect(() => g.random('uniform', max / 4 + 1, 1)).toThrow(GpuOutOfMemoryError);
    expect(() => g.random('uniform', max / 4 + 1, 1)).toThrow(
      /random uniform: a float32 tensor of \d+ elements needs \d+ bytes/,
    );
  });

  it('reports a kernel that fails to compile as a GpuValidationError on the next call, naming the kernel', async () => {
    const k = g.kernel({
      key: 'broken-on-purpose',
      bindings: ['write'],
      paramWords: 1,
      code: () => 'this is not WGSL',
    });
    const out = g.write(new Float32Array(4), 'float32');
    g.rt.dispatch(k, [out as never], [4], [1, 1, 1]);
    await expect(g.read(out)).rejects.toThrow(GpuValidationError);
    // Reported once; the backend keeps working.
    expect(Array.from(await g.read(out))).toEqual([0, 0, 0, 0]);
    g.free(out);
  });

  it('turns a lost device into DeviceLostError on every later call', async () => {
    const own = await webgpu({ name: 'webgpu-lost' });
    const x = own.write(new Float32Array([1]), 'float32');
    own.dispose(); // destroys the device it created
    await own.device.lost;
    expect(() => own.write(new Float32Array([1]), 'float32')).toThrow(DeviceLostError);
    await expect(own.read(x)).rejects.toThrow(/device was lost \(the backend was disposed\)/);
  });

  it('rejects a read in flight when the device is lost with DeviceLostError, not the failed mapping', async () => {
    const own = await webgpu({ name: 'webgpu-lost-in-flight' });
    const x = own.write(new Float32Array(1 << 18).fill(1), 'float32');
    const reading = own.read(x);
    own.device.destroy(); // as a driver reset would, outside the backend
    await expect(reading).rejects.toThrow(DeviceLostError);
    await expect(reading).rejects.toThrow(/device was lost \(destroyed/);
  });

  it('says what to install when there is no adapter', () => {
    const msg = noAdapterMessage();
    expect(msg).toMatch(/apt-get install -y libvulkan1/);
    expect(msg).toMatch(/VK_ICD_FILENAMES=\/usr\/lib\/chromium\/vk_swiftshader_icd\.json/);
  });

  describe('under the frontend', () => {
    afterAll(() => {
      expect(g.memory()).toEqual({ buffers: 0, bytes: 0 });
    });

    it('runs ops and gradients through @tsdl/tensor and reads results with await data()', async () => {
      setBackend(g);
      const x = tensor([
        [1, -2],
        [3, 4],
      ]);
      const w = tensor([
        [0.5, 1],
        [-1, 2],
      ]);
      const y = tidy(() => sum(relu(matmul(x, w))));
      // x·w = [[2.5, -3], [-2.5, 11]]: relu keeps 2.5 and 11.
      expect(Array.from(await y.data())).toEqual([13.5]);
      const dw = grad((w2: Tensor) => sum(relu(matmul(x, w2))))(w) as Tensor;
      // d/dw sum(relu(x·w)) = xᵀ · (x·w > 0) = [[1,3],[-2,4]] · [[1,0],[0,1]].
      expect(Array.from(await dw.data())).toEqual([1, 3, -2, 4]);
      expect(() => y.dataSync()).toThrow(BackendError);
      expect(() => y.dataSync()).toThrow(/cannot read synchronously; use await t.data\(\)/);
      for (const t of [x, w, y, dw]) t.dispose();
    });
  });
});
