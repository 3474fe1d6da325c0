import type { DType, TypedArray } from '@tsdl/tensor';
import type { View } from '@tsdl/tensor/backend';
import type { GpuStorage } from './buffers';
import type { Kernel, KernelDef, Runtime } from './runtime';

/** What a kernel family needs from the backend: allocation, compiled kernels, dense copies. */
export interface Device {
  readonly rt: Runtime;
  /** A new storage of `size` elements (contents undefined). */
  alloc(dtype: DType, size: number): GpuStorage;
  /** New storages of `sizes` elements as aligned slots of one shared buffer (see SharedBlock). */
  allocBlock(dtype: DType, sizes: readonly number[]): GpuStorage[];
  /** A new storage holding `values`. */
  write(values: TypedArray, dtype: DType): GpuStorage;
  /** Sets every element of `s` to `value`; returns `s`. */
  fill(s: GpuStorage, value: number): GpuStorage;
  kernel(def: KernelDef): Kernel;
  /** The storage a view reads. */
  storage(v: View): GpuStorage;
  /**
   * The view as a dense row-major block: its own storage and offset when it
   * already is one, else a new contiguous copy (`temp`: release it after use).
   */
  dense(v: View): Dense;
  /** Frees a temporary storage. */
  release(s: GpuStorage): void;
}

export interface Dense {
  readonly s: GpuStorage;
  readonly offset: number;
  readonly temp: boolean;
}
