import { ArgumentError, type DType, type TypedArray } from '@tsdl/tensor';
import {
  type BackendMemory,
  type CoreBackend,
  type DataId,
  type ElementwiseSpec,
  type ReduceOp,
  type View,
  evalExpr,
  makeTypedArray,
  randomNormal,
  randomUniform,
  reduceIdentity,
  sizeOf,
} from '@tsdl/tensor/backend';
import { denseOf, placement, positions } from './strided';

/**
 * The reference backend: the required core of the Backend contract (tensor's
 * backend.ts, `CoreBackend`) and nothing else, in plain TypeScript over TypedArrays.
 * Every op runs on it: the frontend lowers convolution, pooling, softmax, cross-entropy,
 * grouped updates and device index checks onto these kernels (tensor's lowerings/).
 * It is the executable spec of the core (each kernel the plainest loop that meets its
 * contract) and the template for a new backend; it is slow on purpose.
 */

/** A storage: the backend's DataId is this object. */
class Buffer {
  constructor(readonly values: TypedArray) {}
}

export interface ReferenceBackendOptions {
  /** Backend name in messages and memory reports (default 'reference'). */
  name?: string;
  /**
   * Whether to offer `readSync` (default true). Without it the backend behaves as a GPU
   * does: the frontend cannot read indices at the call, so gather and scatterAdd meet bad
   * ones, write their defined value, and the next read reports them.
   */
  readSync?: boolean;
}

export class ReferenceBackend implements CoreBackend {
  readonly name: string;
  readonly readSync?: (data: DataId) => TypedArray;
  private buffers = 0;
  private bytes = 0;
  /** A bad index a kernel met, reported by the next read (the contract for backends without readSync). */
  private badIndex: ArgumentError | null = null;

  constructor(options: ReferenceBackendOptions = {}) {
    this.name = options.name ?? 'reference';
    if (options.readSync !== false) this.readSync = (data) => this.array(data).slice();
  }

  // ---- storage ----------------------------------------------------------

  private array(data: DataId): TypedArray {
    return (data as Buffer).values;
  }

  private store(values: TypedArray): DataId {
    this.buffers++;
    this.bytes += values.byteLength;
    return new Buffer(values);
  }

  write(values: TypedArray, dtype: DType): DataId {
    const copy = makeTypedArray(dtype, values.length);
    copy.set(values);
    return this.store(copy);
  }

  async read(data: DataId): Promise<TypedArray> {
    const bad = this.badIndex;
    this.badIndex = null;
    if (bad) throw bad;
    return this.array(data).slice();
  }

  free(data: DataId): void {
    this.buffers--;
    this.bytes -= this.array(data).byteLength;
  }

  memory(): BackendMemory {
    return { buffers: this.buffers, bytes: this.bytes };
  }

  private dense(v: View): TypedArray {
    return denseOf(v, this.array(v.data));
  }

  // ---- compute ----------------------------------------------------------

  elementwise(spec: ElementwiseSpec): DataId[] {
    const n = sizeOf(spec.shape);
    const ins = spec.inputs.map((v) => ({ values: this.array(v.data), at: positions(v) }));
    const outs = spec.dtypes.map((dt) => makeTypedArray(dt, n));
    const x = new Array<number>(ins.length);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < ins.length; k++) x[k] = ins[k].values[ins[k].at[i]];
      for (let e = 0; e < outs.length; e++) {
        const v = evalExpr(spec.exprs[e], x, spec.scalars);
        // The typed array rounds to float32 or truncates to int32; bool is value != 0 (NaN is true).
        outs[e][i] = spec.dtypes[e] === 'bool' ? (v !== 0 ? 1 : 0) : v;
      }
    }
    return outs.map((o) => this.store(o));
  }

  reduce(op: ReduceOp, x: View, axes: number, outDtype: DType): DataId {
    const split = x.shape.length - axes;
    const outer = sizeOf(x.shape.slice(0, split));
    const inner = sizeOf(x.shape.slice(split));
    const a = this.dense(x);
    const out = makeTypedArray(outDtype, outer);
    for (let o = 0; o < outer; o++) out[o] = reduceRow(op, a.subarray(o * inner, (o + 1) * inner));
    return this.store(out);
  }

  concat(xs: readonly View[], axis: number, outShape: readonly number[]): DataId {
    const out = makeTypedArray(xs[0].dtype, sizeOf(outShape));
    const corner = outShape.map(() => 0);
    for (const v of xs) {
      const at = placement(v.shape, outShape, corner);
      const src = this.dense(v);
      for (let i = 0; i < src.length; i++) out[at[i]] = src[i];
      corner[axis] += v.shape[axis];
    }
    return this.store(out);
  }

  pad(x: View, pads: readonly (readonly [number, number])[], value: number): DataId {
    const outShape = x.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
    const out = makeTypedArray(x.dtype, sizeOf(outShape)).fill(value);
    const at = placement(
      x.shape,
      outShape,
      pads.map((p) => p[0]),
    );
    const src = this.dense(x);
    for (let i = 0; i < src.length; i++) out[at[i]] = src[i];
    return this.store(out);
  }

  /** Index k of `indices` along an axis of size d, or -1 (recorded for the next read) when out of range. */
  private index(op: string, indices: TypedArray, k: number, d: number): number {
    const i = indices[k];
    if (i >= 0 && i < d) return i;
    this.badIndex ??= new ArgumentError(
      `${op}: an index outside [0, ${d}) was found on the device: ${i} (reported by this read)`,
    );
    return -1;
  }

  gather(x: View, indices: View, axis: number): DataId {
    const src = this.dense(x);
    const idx = this.dense(indices);
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const d = x.shape[axis];
    const out = makeTypedArray(x.dtype, outer * idx.length * inner);
    for (let o = 0, p = 0; o < outer; o++) {
      for (let k = 0; k < idx.length; k++, p += inner) {
        const i = this.index('gather', idx, k, d);
        if (i >= 0) out.set(src.subarray((o * d + i) * inner, (o * d + i + 1) * inner), p);
      }
    }
    return this.store(out);
  }

  scatterAdd(updates: View, indices: View, axis: number, outShape: readonly number[]): DataId {
    const u = this.dense(updates);
    const idx = this.dense(indices);
    const outer = sizeOf(outShape.slice(0, axis));
    const inner = sizeOf(outShape.slice(axis + 1));
    const d = outShape[axis];
    const out = makeTypedArray(updates.dtype, sizeOf(outShape));
    for (let o = 0, p = 0; o < outer; o++) {
      for (let k = 0; k < idx.length; k++, p += inner) {
        const i = this.index('scatterAdd', idx, k, d);
        if (i >= 0) for (let j = 0; j < inner; j++) out[(o * d + i) * inner + j] += u[p + j];
      }
    }
    return this.store(out);
  }

  matmul(a: View, b: View): DataId {
    const r = a.shape.length;
    const [m, k, n] = [a.shape[r - 2], a.shape[r - 1], b.shape[r - 1]];
    const batch = a.shape.slice(0, -2);
    // Each batch entry's corner in a and b (batch dims broadcast: stride 0 where repeated).
    const aAt = positions({ shape: batch, strides: a.strides.slice(0, -2), offset: a.offset });
    const bAt = positions({ shape: batch, strides: b.strides.slice(0, -2), offset: b.offset });
    const [am, ak, bk, bn] = [a.strides[r - 2], a.strides[r - 1], b.strides[r - 2], b.strides[r - 1]];
    const av = this.array(a.data);
    const bv = this.array(b.data);
    const out = new Float32Array(aAt.length * m * n);
    for (let q = 0, p = 0; q < aAt.length; q++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++, p++) {
          let acc = 0;
          for (let t = 0; t < k; t++) acc += av[aAt[q] + i * am + t * ak] * bv[bAt[q] + t * bk + j * bn];
          out[p] = acc;
        }
      }
    }
    return this.store(out);
  }

  random(dist: 'uniform' | 'normal', size: number, key: number): DataId {
    const f = dist === 'uniform' ? randomUniform : randomNormal;
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = f(key, i);
    return this.store(out);
  }
}

/** One reduction of a block of values, as the Backend contract defines it. */
function reduceRow(op: ReduceOp, a: TypedArray): number {
  let acc = reduceIdentity(op);
  let best = op === 'argmin' ? Infinity : -Infinity;
  for (let j = 0; j < a.length; j++) {
    const v = a[j];
    switch (op) {
      case 'sum':
        acc += v;
        break;
      case 'prod':
        acc *= v;
        break;
      case 'max':
        // NaN propagates: it replaces acc, and no comparison with it replaces it again.
        if (v > acc || v !== v) acc = v;
        break;
      case 'min':
        if (v < acc || v !== v) acc = v;
        break;
      case 'argmax':
      case 'argmin':
        // The first extreme; the first NaN beats every number.
        if ((op === 'argmax' ? v > best : v < best) || (v !== v && best === best)) {
          best = v;
          acc = j;
        }
        break;
      case 'any':
        if (v !== 0) acc = 1;
        break;
      case 'all':
        if (v === 0) acc = 0;
        break;
    }
  }
  return acc;
}

/** A reference backend (see ReferenceBackend). */
export function reference(options: ReferenceBackendOptions = {}): ReferenceBackend {
  return new ReferenceBackend(options);
}
