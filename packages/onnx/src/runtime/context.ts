import { ArgumentError, type Backend, type Tensor, tensor } from '@tsdl/tensor';
import { dataType, dataTypeName, isFloatType, isIntType } from '../data-types';
import type { HostArray } from '../tensor-proto';
import type { Value } from './value';

/** Where a value is used, for messages: a node (its `where`), or a graph output. */
export interface Site {
  readonly where: string;
}

/**
 * What an operator needs from the run: host values as tensors on the model's
 * backend (uploaded once per run), device values read back where a shape
 * depends on them, and checked integer lists.
 */
export class RunContext {
  /** Host values uploaded in this run, by value (a reshaped host value shares its data, not its shape). */
  private readonly uploads = new Map<Value, Tensor>();

  constructor(
    readonly backend: Backend,
    /** The model's default-domain opset. */
    readonly opset: number,
  ) {}

  /** The value as a tensor on the model's backend. */
  tensor(v: Value, node: Site, what: string): Tensor {
    if (v.kind === 'device') return v.tensor;
    const cached = this.uploads.get(v);
    if (cached && !cached.isDisposed) return cached;
    const info = dataType(v.type);
    if (!info)
      throw new ArgumentError(`${node.where}: ${what} has type ${dataTypeName(v.type)}, which tsdl cannot hold`);
    let t: Tensor;
    if (info.dtype === 'int32') {
      const ints = new Int32Array(v.data.length);
      for (let i = 0; i < v.data.length; i++) {
        const x = v.data[i];
        if (x > 2147483647 || x < -2147483648) {
          throw new ArgumentError(
            `${node.where}: ${what} holds ${x} at index ${i}, outside int32, the widest integer tsdl tensors hold`,
          );
        }
        ints[i] = x;
      }
      t = tensor(ints, v.shape, 'int32', { backend: this.backend });
    } else if (info.dtype === 'bool') {
      t = tensor(
        Uint8Array.from(v.data, (x) => (x ? 1 : 0)),
        v.shape,
        'bool',
        { backend: this.backend },
      );
    } else {
      t = tensor(v.data instanceof Float32Array ? v.data : Float32Array.from(v.data), v.shape, 'float32', {
        backend: this.backend,
      });
    }
    this.uploads.set(v, t);
    return t;
  }

  /** The value on the host; a device value is read back where the backend reads synchronously (the CPU). */
  host(v: Value, node: Site, what: string): HostArray {
    if (v.kind === 'host') return v;
    const t = v.tensor;
    if (!t.backend.readSync) {
      throw new ArgumentError(
        `${node.where}: ${what} must be known on the host (it gives a shape, axes or sizes), but it was computed on the device, and backend '${t.backend.name}' reads only asynchronously`,
      );
    }
    const data = t.dataSync();
    return {
      type: v.type,
      shape: [...t.shape],
      data: isFloatType(v.type) ? Float32Array.from(data) : Float64Array.from(data),
    };
  }

  /** An integer list (a 1-D or 0-d tensor of an integer type) on the host. */
  ints(v: Value, node: Site, what: string): number[] {
    const h = this.host(v, node, what);
    if (!isIntType(h.type))
      throw new ArgumentError(`${node.where}: ${what} must be an integer tensor, got ${dataTypeName(h.type)}`);
    if (h.shape.length > 1)
      throw new ArgumentError(`${node.where}: ${what} must be 1-D, got shape [${h.shape.join(',')}]`);
    return Array.from(h.data);
  }

  /** One number (a tensor with one element) on the host. */
  scalar(v: Value, node: Site, what: string): number {
    const h = this.host(v, node, what);
    if (h.data.length !== 1)
      throw new ArgumentError(`${node.where}: ${what} must hold one value, got shape [${h.shape.join(',')}]`);
    return h.data[0];
  }
}
