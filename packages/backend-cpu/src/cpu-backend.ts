import type {
  Backend,
  BackendMemory,
  Conv2dParams,
  DataId,
  DType,
  ElementwiseSpec,
  Pool2dParams,
  ReduceOp,
  TypedArray,
  View,
} from '@tsdl/tensor';
import { randomNormal, randomUniform } from '@tsdl/tensor';
import { Accounting, arr } from './data';
import { conv2d, conv2dGradFilter, conv2dGradInput } from './kernels/conv';
import { elementwise } from './kernels/elementwise';
import { matmul } from './kernels/matmul';
import { concat, gather, pad, scatterAdd } from './kernels/movement';
import { pool2d, pool2dGrad } from './kernels/pool';
import { reduce } from './kernels/reduce';
import { softmax } from './kernels/softmax';

export interface CpuBackendOptions {
  /** The name the backend registers under (default 'cpu'); give a second instance another name. */
  name?: string;
}

/** The Backend contract on TypedArrays, in plain JavaScript (the reference every other backend matches). */
export class CpuBackend implements Backend {
  readonly name: string;
  private readonly acct = new Accounting();

  constructor(options: CpuBackendOptions = {}) {
    this.name = options.name ?? 'cpu';
  }

  write(values: TypedArray, _dtype: DType): DataId {
    return this.acct.wrap(values.slice());
  }

  async read(data: DataId): Promise<TypedArray> {
    return arr(data).slice();
  }

  readSync(data: DataId): TypedArray {
    return arr(data).slice();
  }

  free(data: DataId): void {
    this.acct.free(data);
  }

  memory(): BackendMemory {
    return { buffers: this.acct.buffers, bytes: this.acct.bytes };
  }

  elementwise(spec: ElementwiseSpec): DataId[] {
    return elementwise(spec).map((a) => this.acct.wrap(a));
  }

  reduce(op: ReduceOp, x: View, axes: number, outDtype: DType): DataId {
    return this.acct.wrap(reduce(op, x, axes, outDtype));
  }

  concat(xs: readonly View[], axis: number, outShape: readonly number[]): DataId {
    return this.acct.wrap(concat(xs, axis, outShape));
  }

  pad(x: View, pads: readonly (readonly [number, number])[], value: number): DataId {
    return this.acct.wrap(pad(x, pads, value));
  }

  gather(x: View, indices: View, axis: number): DataId {
    return this.acct.wrap(gather(x, indices, axis));
  }

  scatterAdd(updates: View, indices: View, axis: number, outShape: readonly number[]): DataId {
    return this.acct.wrap(scatterAdd(updates, indices, axis, outShape));
  }

  matmul(a: View, b: View): DataId {
    return this.acct.wrap(matmul(a, b));
  }

  conv2d(x: View, w: View, p: Conv2dParams): DataId {
    return this.acct.wrap(conv2d(x, w, p));
  }

  conv2dGradInput(dy: View, w: View, p: Conv2dParams): DataId {
    return this.acct.wrap(conv2dGradInput(dy, w, p));
  }

  conv2dGradFilter(x: View, dy: View, p: Conv2dParams): DataId {
    return this.acct.wrap(conv2dGradFilter(x, dy, p));
  }

  pool2d(x: View, p: Pool2dParams): DataId {
    return this.acct.wrap(pool2d(x, p));
  }

  pool2dGrad(x: View, dy: View, p: Pool2dParams): DataId {
    return this.acct.wrap(pool2dGrad(x, dy, p));
  }

  softmax(x: View, log: boolean): DataId {
    return this.acct.wrap(softmax(x, log));
  }

  random(dist: 'uniform' | 'normal', size: number, key: number): DataId {
    const out = new Float32Array(size);
    const f = dist === 'uniform' ? randomUniform : randomNormal;
    for (let i = 0; i < size; i++) out[i] = f(key, i);
    return this.acct.wrap(out);
  }
}

/** A new CPU backend: `setBackend(cpu())`. */
export function cpu(options: CpuBackendOptions = {}): CpuBackend {
  return new CpuBackend(options);
}
