import { cpu } from '@tsdl/backend-cpu';
import type { Backend, DType, TypedArray } from '@tsdl/tensor';
import type { Accelerations, DataId, View } from '@tsdl/tensor/backend';
import { contiguousStrides, makeTypedArray } from '@tsdl/tensor/backend';
import { compareClose, seededNumbers, type Tolerance } from '@tsdl/test-utils';
import type { WebGpuBackend } from '../src/index';

/**
 * Differential kernel tests: the same views on the CPU backend (the
 * reference implementation) and on WebGPU, the same kernel call on both,
 * and the results compared with a stated tolerance.
 */

/** Host data for one view: the whole storage, and the view over it (dense row-major by default). */
export interface Host {
  data: ArrayLike<number>;
  dtype?: DType;
  shape: readonly number[];
  strides?: readonly number[];
  offset?: number;
}

export function place(b: Backend, h: Host): View {
  const dtype = h.dtype ?? 'float32';
  const host = makeTypedArray(dtype, h.data.length);
  for (let i = 0; i < host.length; i++) host[i] = dtype === 'bool' ? (h.data[i] !== 0 ? 1 : 0) : h.data[i];
  const data = b.write(host, dtype);
  return { data, dtype, shape: h.shape, strides: h.strides ?? contiguousStrides(h.shape), offset: h.offset ?? 0 };
}

export type Put = (h: Host) => View;

/** Reads results from either backend. */
export async function readIds(b: Backend, ids: DataId | DataId[]): Promise<TypedArray[]> {
  const list = Array.isArray(ids) ? ids : [ids];
  return Promise.all(list.map((id) => b.read(id)));
}

/**
 * A backend with the window, softmax and cross-entropy accelerations, as the CPU and WebGPU backends are
 * (layerNorm and layerNormGrad run through their lowerings on WebGPU: no kernels of its own yet).
 */
export type KernelBackend = Backend &
  Omit<Accelerations, 'elementwiseGroups' | 'checkIndices' | 'layerNorm' | 'layerNormGrad'>;

export class Differential {
  readonly cpu = cpu({ name: 'cpu-reference' });
  constructor(readonly gpu: WebGpuBackend) {}

  /**
   * Runs `f` on both backends (inputs made with `put`), reads every output and
   * compares them; frees everything it made. Returns the GPU's results.
   */
  async check(
    f: (b: KernelBackend, put: Put) => DataId | DataId[],
    tol: Tolerance = { atol: 1e-5, rtol: 1e-5 },
  ): Promise<TypedArray[]> {
    const run = async (b: KernelBackend): Promise<TypedArray[]> => {
      const made: View[] = [];
      const ids = f(b, (h) => {
        const v = place(b, h);
        made.push(v);
        return v;
      });
      const out = await readIds(b, ids);
      for (const v of made) b.free(v.data);
      for (const id of Array.isArray(ids) ? ids : [ids]) b.free(id);
      return out;
    };
    const want = await run(this.cpu);
    const got = await run(this.gpu);
    if (got.length !== want.length) throw new Error(`got ${got.length} outputs, expected ${want.length}`);
    got.forEach((g, i) => {
      if (g.constructor !== want[i].constructor)
        throw new Error(`output ${i}: got ${g.constructor.name}, expected ${want[i].constructor.name}`);
      const msg = compareClose(g, want[i], tol);
      if (msg) throw new Error(`output ${i}: ${msg}`);
    });
    return got;
  }
}

/** Deterministic test data (test-utils' LCG, independent of the library's generator). */
export const data = seededNumbers;

export function ints(n: number, seed: number, lo: number, hi: number): number[] {
  return data(n, seed, lo, hi).map(Math.floor);
}
