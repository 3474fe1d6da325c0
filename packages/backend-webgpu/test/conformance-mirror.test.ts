import { cpu } from '@tsdl/backend-cpu';
import { runConformance } from '@tsdl/conformance';
import type { Backend, DType, TypedArray } from '@tsdl/tensor';
import type {
  BackendMemory,
  Conv2dParams,
  DataId,
  ElementwiseSpec,
  Pool2dParams,
  ReduceOp,
  View,
} from '@tsdl/tensor/backend';
import { compareClose } from '@tsdl/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/index';
import { acquireTestGpu, gpuAvailable } from './gpu';

/**
 * The whole conformance suite, with every kernel call checked on WebGPU
 * against the CPU backend (conformance.test.ts runs the suite on WebGPU
 * itself, against float64 references; this file compares kernel by kernel).
 *
 * The suite runs on a mirror: every kernel call goes to the CPU backend,
 * whose results the suite sees (so its own assertions hold, and its
 * synchronous-read tests run too), and to WebGPU over uploads of the same
 * inputs; each GPU output is read back in the background and compared with
 * the CPU's. The test at the end fails on any mismatch, naming the op and
 * its shapes.
 */

const gpu = await acquireTestGpu();

const TOL = { atol: 1e-4, rtol: 1e-4 };

class Mirror implements Backend {
  readonly checks: Promise<void>[] = [];
  readonly mismatches: string[] = [];
  calls = 0;
  private readonly c = cpu({ name: 'cpu-mirror' });

  constructor(
    readonly name: string,
    private readonly g: WebGpuBackend,
  ) {}

  /**
   * Runs one op on the CPU (whose results the suite sees) and on WebGPU over
   * uploads of the same input values, so each kernel is checked on its own
   * and a difference never propagates; compares in the background.
   */
  private both(
    op: string,
    args: string,
    views: readonly View[],
    fg: (vs: View[]) => DataId | DataId[],
    fc: () => DataId | DataId[],
  ): DataId[] {
    this.calls++;
    const cs = [fc()].flat();
    const uploads = new Map<DataId, DataId>();
    const gviews = views.map((v) => {
      let u = uploads.get(v.data);
      if (!u) uploads.set(v.data, (u = this.g.write(this.c.readSync(v.data), v.dtype)));
      return { ...v, data: u };
    });
    let gs: DataId[];
    try {
      gs = [fg(gviews)].flat();
    } catch (e) {
      this.mismatches.push(`${op} ${args}: threw ${(e as Error).message}`);
      throw e;
    } finally {
      for (const u of uploads.values()) this.g.free(u);
    }
    cs.forEach((c, k) => {
      const want = this.c.readSync(c);
      const read = this.g.read(gs[k]);
      this.g.free(gs[k]);
      this.checks.push(
        read.then(
          (got) => {
            const msg =
              got.constructor !== want.constructor
                ? `array type ${got.constructor.name} vs ${want.constructor.name}`
                : compareClose(got, want, TOL);
            if (msg) this.mismatches.push(`${op} ${args} output ${k}: ${msg.split('\n')[0]}`);
          },
          (e: Error) => {
            this.mismatches.push(`${op} ${args}: read failed: ${e.message}`);
          },
        ),
      );
    });
    return cs;
  }

  write(values: TypedArray, dtype: DType): DataId {
    return this.c.write(values, dtype);
  }
  read(data: DataId): Promise<TypedArray> {
    return this.c.read(data);
  }
  readSync(data: DataId): TypedArray {
    return this.c.readSync(data);
  }
  free(data: DataId): void {
    this.c.free(data);
  }
  memory(): BackendMemory {
    return this.c.memory();
  }
  gpuMemory(): BackendMemory {
    return this.g.memory();
  }

  elementwise(spec: ElementwiseSpec): DataId[] {
    const d = `${spec.key} [${spec.shape}] ${spec.dtypes} ins ${spec.inputs.map((v) => `${v.dtype}[${v.shape}]/[${v.strides}]+${v.offset}`).join(' ')} scalars ${spec.scalars}`;
    return this.both(
      'elementwise',
      d,
      spec.inputs,
      (vs) => this.g.elementwise({ ...spec, inputs: vs }),
      () => this.c.elementwise(spec),
    );
  }
  reduce(op: ReduceOp, x: View, axes: number, outDtype: DType): DataId {
    return this.both(
      op,
      `${x.dtype}[${x.shape}]/[${x.strides}] axes ${axes} -> ${outDtype}`,
      [x],
      ([v]) => this.g.reduce(op, v, axes, outDtype),
      () => this.c.reduce(op, x, axes, outDtype),
    )[0];
  }
  concat(xs: readonly View[], axis: number, outShape: readonly number[]): DataId {
    return this.both(
      'concat',
      `axis ${axis} -> [${outShape}]`,
      xs,
      (vs) => this.g.concat(vs, axis, outShape),
      () => this.c.concat(xs, axis, outShape),
    )[0];
  }
  pad(x: View, pads: readonly (readonly [number, number])[], value: number): DataId {
    return this.both(
      'pad',
      `[${x.shape}] ${JSON.stringify(pads)} ${value}`,
      [x],
      ([v]) => this.g.pad(v, pads, value),
      () => this.c.pad(x, pads, value),
    )[0];
  }
  gather(x: View, indices: View, axis: number): DataId {
    return this.both(
      'gather',
      `[${x.shape}] idx [${indices.shape}] axis ${axis}`,
      [x, indices],
      ([v, i]) => this.g.gather(v, i, axis),
      () => this.c.gather(x, indices, axis),
    )[0];
  }
  scatterAdd(updates: View, indices: View, axis: number, outShape: readonly number[]): DataId {
    return this.both(
      'scatterAdd',
      `[${updates.shape}] -> [${outShape}] axis ${axis}`,
      [updates, indices],
      ([u, i]) => this.g.scatterAdd(u, i, axis, outShape),
      () => this.c.scatterAdd(updates, indices, axis, outShape),
    )[0];
  }
  matmul(a: View, b: View): DataId {
    return this.both(
      'matmul',
      `[${a.shape}]/[${a.strides}] @ [${b.shape}]/[${b.strides}]`,
      [a, b],
      ([x, y]) => this.g.matmul(x, y),
      () => this.c.matmul(a, b),
    )[0];
  }
  conv2d(x: View, w: View, p: Conv2dParams): DataId {
    return this.both(
      'conv2d',
      JSON.stringify(p),
      [x, w],
      ([a, b]) => this.g.conv2d(a, b, p),
      () => this.c.conv2d(x, w, p),
    )[0];
  }
  conv2dGradInput(dy: View, w: View, p: Conv2dParams): DataId {
    return this.both(
      'conv2dGradInput',
      JSON.stringify(p),
      [dy, w],
      ([a, b]) => this.g.conv2dGradInput(a, b, p),
      () => this.c.conv2dGradInput(dy, w, p),
    )[0];
  }
  conv2dGradFilter(x: View, dy: View, p: Conv2dParams): DataId {
    return this.both(
      'conv2dGradFilter',
      JSON.stringify(p),
      [x, dy],
      ([a, b]) => this.g.conv2dGradFilter(a, b, p),
      () => this.c.conv2dGradFilter(x, dy, p),
    )[0];
  }
  pool2d(x: View, p: Pool2dParams): DataId {
    return this.both(
      'pool2d',
      JSON.stringify(p),
      [x],
      ([a]) => this.g.pool2d(a, p),
      () => this.c.pool2d(x, p),
    )[0];
  }
  pool2dGrad(x: View, dy: View, p: Pool2dParams): DataId {
    return this.both(
      'pool2dGrad',
      JSON.stringify(p),
      [x, dy],
      ([a, b]) => this.g.pool2dGrad(a, b, p),
      () => this.c.pool2dGrad(x, dy, p),
    )[0];
  }
  softmax(x: View, log: boolean): DataId {
    return this.both(
      log ? 'logSoftmax' : 'softmax',
      `[${x.shape}]/[${x.strides}]`,
      [x],
      ([a]) => this.g.softmax(a, log),
      () => this.c.softmax(x, log),
    )[0];
  }
  random(dist: 'uniform' | 'normal', size: number, key: number): DataId {
    return this.both(
      `random ${dist}`,
      `${size}`,
      [],
      () => this.g.random(dist, size, key),
      () => this.c.random(dist, size, key),
    )[0];
  }
}

if (gpuAvailable(gpu, it)) {
  const mirrors: Mirror[] = [];
  const make = (name: string) => () => {
    const m = new Mirror(name, gpu.backend(name));
    mirrors.push(m);
    return m;
  };
  runConformance('webgpu-mirror', make('webgpu-mirror'), make('webgpu-mirror-second'));

  describe('every kernel call of the conformance suite, checked on WebGPU', () => {
    afterAll(async () => {
      for (const m of mirrors) await Promise.all(m.checks);
      const all = mirrors.flatMap((m) => m.mismatches);
      const calls = mirrors.reduce((a, m) => a + m.calls, 0);
      console.log(`mirror: ${calls} kernel calls, ${all.length} mismatches`);
      // Every GPU storage the mirror made was freed.
      for (const m of mirrors) expect(m.gpuMemory()).toEqual({ buffers: 0, bytes: 0 });
      expect(calls).toBeGreaterThan(0);
      expect([...new Set(all)].slice(0, 60)).toEqual([]);
    });
    it('registers the check', () => {
      expect(mirrors.length).toBeGreaterThan(0);
    });
  });
}
