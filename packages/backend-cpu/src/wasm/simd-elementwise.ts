import type { ElementwiseSpec, TypedArray, View } from '@tsdl/tensor';
import { arr, sizeOfShape } from '../data';
import { elementwiseModuleBytes, type InputMode, simdExpressible } from './elementwise-module';
import type { WasmHeap } from './heap';

type Run = (outer: number, inner: number, scalars: number, ...ptrs: number[]) => void;

/** Rows shorter than this waste most of each 4-lane vector; the JS kernel serves them. */
const MIN_INNER = 8;

/** Whether strides over dims [from, to) are zero wherever the dim is not 1. */
function zeroOver(v: View, from: number, to: number): boolean {
  for (let d = from; d < to; d++) if (v.shape[d] !== 1 && v.strides[d] !== 0) return false;
  return true;
}

/** Whether strides over dims [from, to) are row-major for those dims, scaled by `unit`. */
function denseOver(v: View, from: number, to: number, unit: number): boolean {
  let s = unit;
  for (let d = to - 1; d >= from; d--) {
    if (v.shape[d] !== 1 && v.strides[d] !== s) return false;
    s *= v.shape[d];
  }
  return true;
}

/**
 * Splits the output into [outer, inner] at the first dim where every input is
 * dense, a repeated row, a per-row value or a constant; null when none fits.
 */
export function planLayout(shape: readonly number[], inputs: readonly View[]): { outer: number; inner: number; modes: InputMode[] } | null {
  const r = shape.length;
  for (let d = 0; d < r; d++) {
    const inner = sizeOfShape(shape.slice(d));
    if (inner < MIN_INNER) return null;
    const modes: InputMode[] = [];
    for (const v of inputs) {
      const innerDense = denseOver(v, d, r, 1);
      const innerZero = !innerDense && zeroOver(v, d, r);
      let mode: InputMode | null = null;
      if (innerDense && denseOver(v, 0, d, inner)) mode = 'dense';
      else if (innerDense && zeroOver(v, 0, d)) mode = 'row';
      else if (innerZero && denseOver(v, 0, d, 1)) mode = 'col';
      else if (innerZero && zeroOver(v, 0, d)) mode = 'const';
      if (mode === null) break;
      modes.push(mode);
    }
    if (modes.length === inputs.length) return { outer: sizeOfShape(shape.slice(0, d)), inner, modes };
  }
  return null;
}

/**
 * Elementwise specs as wasm SIMD kernels, compiled once per expression list,
 * dtypes and input modes. Serves float32/bool inputs and outputs whose
 * storage lives in the shared heap and whose expressions have SIMD forms;
 * `run` returns null for anything else and the JS kernels take it.
 */
export class SimdElementwise {
  private readonly cache = new Map<string, Run | null>();
  private scalarPtr = 0;
  private scalarCap = 0;

  constructor(private readonly heap: WasmHeap) {}

  run(spec: ElementwiseSpec, alloc: (dtype: 'float32' | 'bool', n: number) => TypedArray): TypedArray[] | null {
    if (!this.heap.shared) return null;
    const n = sizeOfShape(spec.shape);
    if (n < MIN_INNER) return null;
    if (spec.dtypes.some((d) => d === 'int32') || spec.inputs.some((v) => v.dtype === 'int32')) return null;
    const plan = planLayout(spec.shape, spec.inputs);
    if (plan === null) return null;
    const datas = spec.inputs.map((v) => arr(v.data));
    if (!datas.every((a) => this.heap.contains(a))) return null;
    const key = `${spec.key}|${spec.scalars.length}|${spec.dtypes.join(',')}|${spec.inputs.map((v, k) => v.dtype[0] + plan.modes[k][0]).join('')}`;
    let kernel = this.cache.get(key);
    if (kernel === undefined) {
      kernel = spec.exprs.every(simdExpressible) ? this.compile(spec, plan.modes) : null;
      this.cache.set(key, kernel);
    }
    if (kernel === null) return null;
    const outs = spec.dtypes.map((d) => alloc(d as 'float32' | 'bool', n));
    const sp = this.scalars(spec.scalars);
    const ptrs: number[] = [];
    spec.inputs.forEach((v, k) => ptrs.push(datas[k].byteOffset + v.offset * datas[k].BYTES_PER_ELEMENT));
    for (const o of outs) ptrs.push(o.byteOffset);
    kernel(plan.outer, plan.inner, sp, ...ptrs);
    return outs;
  }

  private compile(spec: ElementwiseSpec, modes: InputMode[]): Run {
    const bytes = elementwiseModuleBytes(
      {
        exprs: spec.exprs,
        inputs: spec.inputs.map((v, k) => ({ mode: modes[k], bool: v.dtype === 'bool' })),
        outputs: spec.dtypes.map((d) => d === 'bool'),
        nScalars: spec.scalars.length,
      },
      this.heap.shared,
    );
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: this.heap.memory } });
    return instance.exports.run as Run;
  }

  /** Writes the run-time scalars as float32 into a heap block; returns its address. */
  private scalars(values: readonly number[]): number {
    if (values.length > this.scalarCap) {
      if (this.scalarCap > 0) this.heap.release(this.scalarPtr, this.scalarCap * 4);
      this.scalarCap = Math.max(16, values.length);
      this.scalarPtr = this.heap.malloc(this.scalarCap * 4);
    }
    if (values.length > 0) this.heap.f32(this.scalarPtr, values.length).set(values);
    return this.scalarPtr;
  }
}
