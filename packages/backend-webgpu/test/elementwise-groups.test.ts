import type { DataId, ElementwiseGroup, Expr, View } from '@tsdl/tensor/backend';
import { E, evalExpr, exprKey } from '@tsdl/tensor/backend';
import { compareClose } from '@tsdl/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageOf } from '../src/buffers';
import type { WebGpuBackend } from '../src/index';
import { acquireTestGpu, gpuAvailable } from './gpu';
import { data } from './harness';

/**
 * Multi-tensor elementwise kernels (elementwiseGroups): each group's outputs
 * against evalExpr over its own inputs, across group sizes, chunking by the
 * binding limit and the group cap, chained calls whose inputs are slots of
 * the previous call's shared block, ordinary kernels reading such slots, and
 * the block's return to the pool.
 */

const gpu = await acquireTestGpu();

// An Adam-like update: inputs θ, g, m, v; scalars β1, 1−β1, β2, 1−β2, lr, ε; outputs θ', m', v'.
const M = E.add(E.mul(E.s(0), E.in(2)), E.mul(E.s(1), E.in(1)));
const V = E.add(E.mul(E.s(2), E.in(3)), E.mul(E.s(3), E.mul(E.in(1), E.in(1))));
const NEXT = E.sub(E.in(0), E.mul(E.s(4), E.div(M, E.add(E.u('sqrt', V), E.s(5)))));
const EXPRS: Expr[] = [NEXT, M, V];
const KEY = EXPRS.map(exprKey).join(';');
const SCALARS = [0.9, 0.1, 0.999, 0.001, 0.01, 1e-8];

interface HostGroup {
  inputs: Float32Array[];
  scalars: number[];
}

function hostGroup(size: number, seed: number, scalars = SCALARS): HostGroup {
  const v = Float32Array.from(data(size, seed + 3, 0, 1));
  return {
    inputs: [
      Float32Array.from(data(size, seed, -1, 1)),
      Float32Array.from(data(size, seed + 1, -1, 1)),
      Float32Array.from(data(size, seed + 2, -0.1, 0.1)),
      v,
    ],
    scalars,
  };
}

/** evalExpr per element: each output of one group. */
function reference(exprs: Expr[], g: HostGroup): Float32Array[] {
  const n = g.inputs[0].length;
  return exprs.map((e) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++)
      out[i] = evalExpr(
        e,
        g.inputs.map((x) => x[i]),
        g.scalars,
      );
    return out;
  });
}

function view(data: DataId, size: number): View {
  return { data, dtype: 'float32', shape: [size], strides: [1], offset: 0 };
}

function expectClose(got: ArrayLike<number>, want: Float32Array, what: string): void {
  const msg = compareClose(Float32Array.from(got), want, { atol: 1e-6, rtol: 1e-5 });
  expect(msg, what).toBeNull();
}

describe.runIf(gpuAvailable(gpu, it))('webgpu elementwiseGroups', () => {
  let g: WebGpuBackend;
  beforeAll(() => {
    g = gpu.backend('webgpu-groups');
  });
  afterAll(() => {
    expect(g.memory()).toEqual({ buffers: 0, bytes: 0 });
    g.dispose();
  });

  /** Uploads host groups, runs one elementwiseGroups call, frees the inputs; returns the output ids. */
  function runGroups(hosts: HostGroup[], exprs = EXPRS, key = KEY): DataId[][] {
    const ids = hosts.map((h) => h.inputs.map((x) => g.write(x, 'float32')));
    const groups: ElementwiseGroup[] = hosts.map((h, i) => ({
      inputs: ids[i].map((id) => view(id, h.inputs[0].length)),
      scalars: h.scalars,
      size: h.inputs[0].length,
    }));
    const outs = g.elementwiseGroups({ exprs, key, groups });
    for (const list of ids) for (const id of list) g.free(id);
    return outs;
  }

  async function checkAndFree(hosts: HostGroup[], outs: DataId[][], exprs = EXPRS): Promise<void> {
    for (let i = 0; i < hosts.length; i++) {
      const want = reference(exprs, hosts[i]);
      expect(outs[i]).toHaveLength(exprs.length);
      for (let k = 0; k < exprs.length; k++) expectClose(await g.read(outs[i][k]), want[k], `group ${i} output ${k}`);
    }
    for (const list of outs) for (const id of list) g.free(id);
  }

  it.each(['software', 'gpu'] as const)(
    'computes every group of several sizes (1 to 70,000 elements, and empty) as evalExpr does (%s profile)',
    async (profile) => {
      const hosts = [1, 300, 0, 1000, 70_000, 65].map((n, i) => hostGroup(n, 10 * i));
      // The profile sets the elements per invocation (16 on a software adapter, 1 on a GPU).
      const saved = g.rt.gemmProfile;
      g.rt.gemmProfile = profile;
      let outs: DataId[][];
      try {
        outs = runGroups(hosts);
      } finally {
        g.rt.gemmProfile = saved;
      }
      // Each group brings four uploaded buffers, so a dispatch takes (limit - 1) / 4 groups and
      // writes all their outputs as slots of one shared buffer.
      const perDispatch = Math.floor((g.rt.limits.maxStorageBuffersPerShaderStage - 1) / 4);
      expect(new Set(outs.flat().map((id) => storageOf(id).buffer)).size).toBe(
        Math.ceil(hosts.length / Math.min(perDispatch, 32)),
      );
      await checkAndFree(hosts, outs);
    },
  );

  it('splits 40 groups over dispatches by the binding limit and the group cap, with the same results', async () => {
    const hosts = Array.from({ length: 40 }, (_, i) => hostGroup(50 + 37 * i, 100 + i));
    const outs = runGroups(hosts);
    // As above; with a high binding limit the 32-group cap splits them instead.
    const perDispatch = Math.floor((g.rt.limits.maxStorageBuffersPerShaderStage - 1) / 4);
    expect(new Set(outs.flat().map((id) => storageOf(id).buffer)).size).toBe(Math.ceil(40 / Math.min(perDispatch, 32)));
    await checkAndFree(hosts, outs);
  });

  it('keeps groups whose scalars differ in integer-ness in separate kernels, each computed right', async () => {
    const hosts = [hostGroup(100, 1), hostGroup(100, 2, [0.9, 0.1, 0.999, 0.001, 1, 1e-8]), hostGroup(100, 3)];
    await checkAndFree(hosts, runGroups(hosts));
  });

  it('chains: the next call reads its inputs from the slots of the previous call, as an optimizer does', async () => {
    const sizes = [784 * 16, 16, 16 * 10, 10];
    let state = sizes.map((n, i) => hostGroup(n, 200 + 10 * i));
    // Step 1 from uploaded tensors; then θ, m, v come from the last step's block and only g is new.
    let ids = runGroups(state);
    for (let step = 2; step <= 4; step++) {
      const grads = sizes.map((n, i) => g.write(Float32Array.from(data(n, 300 + 10 * step + i, -1, 1)), 'float32'));
      const next: HostGroup[] = [];
      for (let i = 0; i < sizes.length; i++) {
        const [p, m, v] = reference(EXPRS, state[i]);
        next.push({
          inputs: [p, Float32Array.from(data(sizes[i], 300 + 10 * step + i, -1, 1)), m, v],
          scalars: SCALARS,
        });
      }
      const groups: ElementwiseGroup[] = sizes.map((n, i) => ({
        inputs: [view(ids[i][0], n), view(grads[i], n), view(ids[i][1], n), view(ids[i][2], n)],
        scalars: SCALARS,
        size: n,
      }));
      const outs = g.elementwiseGroups({ exprs: EXPRS, key: KEY, groups });
      // Every group reads the previous block: one dispatch, one new block.
      expect(new Set(outs.flat().map((id) => storageOf(id).buffer)).size).toBe(1);
      for (const list of ids) for (const id of list) g.free(id);
      for (const id of grads) g.free(id);
      ids = outs;
      state = next;
    }
    await checkAndFree(state, ids);
  });

  it('lets ordinary kernels read a slot of a block at its offset (matmul, reduce, elementwise)', async () => {
    const hosts = [hostGroup(6, 1), hostGroup(12, 2)];
    const outs = runGroups(hosts);
    const b = reference(EXPRS, hosts[1])[2]; // v' of group 1, 12 values
    const a = reference(EXPRS, hosts[0])[0]; // θ' of group 0, 6 values
    // [2,3] · [3,4]: both operands are slots (θ' of group 0 and v' of group 1).
    const prod = g.matmul(
      { data: outs[0][0], dtype: 'float32', shape: [2, 3], strides: [3, 1], offset: 0 },
      { data: outs[1][2], dtype: 'float32', shape: [3, 4], strides: [4, 1], offset: 0 },
    );
    const want = new Float32Array(8);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) want[i * 4 + j] += a[i * 3 + k] * b[k * 4 + j];
    expectClose(await g.read(prod), want, 'matmul of two slots');
    const sum = g.reduce(
      'sum',
      { data: outs[1][2], dtype: 'float32', shape: [12], strides: [1], offset: 0 },
      1,
      'float32',
    );
    expectClose(await g.read(sum), Float32Array.of(b.reduce((s, x) => s + x, 0)), 'sum of a slot');
    const doubled = g.elementwise({
      exprs: [E.mul(E.in(0), E.c(2))],
      inputs: [view(outs[0][0], 6)],
      scalars: [],
      shape: [6],
      dtypes: ['float32'],
      key: 'double',
    })[0];
    expectClose(
      await g.read(doubled),
      a.map((x) => 2 * x),
      'elementwise over a slot',
    );
    for (const id of [prod, sum, doubled]) g.free(id);
    for (const list of outs) for (const id of list) g.free(id);
  });

  it('returns a block to the pool only when its last slot is freed, and never hands out a live block', async () => {
    const outs = runGroups([hostGroup(1000, 1), hostGroup(1000, 2)]);
    const block = storageOf(outs[0][0]).buffer;
    const live = g.memory().buffers;
    const pooled = g.poolStats().buffers;
    const ids = outs.flat();
    for (const id of ids.slice(0, -1)) g.free(id);
    expect(g.memory().buffers).toBe(live - ids.length + 1);
    expect(g.poolStats().buffers).toBe(pooled); // one slot still lives
    // A new storage of the block's size class must not be the block.
    const other = g.write(new Float32Array(storageOf(ids[0]).buffer.size / 4), 'float32');
    expect(storageOf(other).buffer).not.toBe(block);
    g.free(other);
    const before = g.poolStats().buffers;
    g.free(ids[ids.length - 1]);
    expect(g.poolStats().buffers).toBe(before + 1);
  });
});
