import type { TypedArray } from '@tsdl/tensor';
import type { ElementwiseSpec, View } from '@tsdl/tensor/backend';
import { arr, sizeOfShape } from '../data';
import { elementwiseModuleBytes, type InputMode, simdExpressible } from './elementwise-module';
import { elementwiseChunk, JOB_ELEMENTWISE } from './chunks';
import type { WasmHeap } from './heap';
import { MAX_JOB_INTS, type WorkerPool } from './worker-pool';

type Run = (outer: number, inner: number, scalars: number, ...ptrs: number[]) => void;

/** A compiled kernel; workers compile their own copy from `bytes` (a heap address) when a job first names `id`. */
interface Kernel {
  run: Run;
  id: number;
  bytes: number;
  length: number;
}

/**
 * Kernels over at least this many elements are split across the worker
 * threads: Adam's update of a 784×128 weight (100k elements) is what this is
 * for. Measured on that update on a 2-core VM, warm in cache: 87 µs on one
 * thread, 47 µs split; from cold memory, as in a training step, 114 and 91 µs.
 */
const PARALLEL_MIN_ELEMENTS = 1 << 15;
/** Elements per chunk at least: chunks are claimed dynamically, so a worker that starts late takes fewer. */
const CHUNK_ELEMENTS = 8192;

/** Rows shorter than this waste most of each 4-lane vector; the JS kernel serves them. */
const MIN_INNER = 8;

/** The product of shape[from..to) (no slice: this runs on every small op). */
function product(shape: readonly number[], from: number, to: number): number {
  let p = 1;
  for (let d = from; d < to; d++) p *= shape[d];
  return p;
}

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
 * The element stride between rows of a view whose outer dims [0, d) walk
 * evenly spaced rows (a gate's [B, u] block of a [B, 4u] product, one time
 * step of [B, T, n]); -1 when they do not.
 */
function rowStride(v: View, d: number): number {
  let last = d - 1;
  while (last >= 0 && v.shape[last] === 1) last--;
  if (last < 0) return -1;
  const s = v.strides[last];
  return s > 0 && denseOver(v, 0, d, s) ? s : -1;
}

/**
 * Splits the output into [outer, inner] at the first dim where every input is
 * dense, a repeated row, a per-row value, a constant, dense rows at a fixed
 * stride or dense rows anywhere (a permuted view: the heads of attention);
 * null when none fits. `strides[k]` is input k's row stride (elements) for
 * 'strided', its strides over the outer dims for 'rows', else empty.
 */
/** The strides entry of an input that has none (not 'strided' or 'rows'): one shared array, not one per call. */
const NO_STRIDES: readonly number[] = [];

export function planLayout(
  shape: readonly number[],
  inputs: readonly View[],
): { outer: number; inner: number; modes: InputMode[]; strides: (readonly number[])[] } | null {
  const r = shape.length;
  for (let d = 0; d < r; d++) {
    const inner = product(shape, d, r);
    if (inner < MIN_INNER) return null;
    const modes: InputMode[] = [];
    const strides: (readonly number[])[] = [];
    for (const v of inputs) {
      const innerDense = denseOver(v, d, r, 1);
      const innerZero = !innerDense && zeroOver(v, d, r);
      let mode: InputMode | null = null;
      let stride = 0;
      if (innerDense && denseOver(v, 0, d, inner)) mode = 'dense';
      else if (innerDense && zeroOver(v, 0, d)) mode = 'row';
      else if (innerZero && denseOver(v, 0, d, 1)) mode = 'col';
      else if (innerZero && zeroOver(v, 0, d)) mode = 'const';
      else if (innerDense && (stride = rowStride(v, d)) > 0) mode = 'strided';
      else if (innerDense) mode = 'rows';
      if (mode === null) break;
      modes.push(mode);
      strides.push(mode === 'strided' ? [stride] : mode === 'rows' ? v.strides.slice(0, d) : NO_STRIDES);
    }
    if (modes.length === inputs.length) return { outer: product(shape, 0, d), inner, modes, strides };
  }
  return null;
}

/**
 * Elementwise specs as wasm SIMD kernels, compiled once per expression list,
 * dtypes and input modes. Serves float32/bool inputs and outputs whose
 * storage lives in the shared heap and whose expressions have SIMD forms;
 * `run` returns null for anything else and the JS kernels take it.
 */
const MODE_CODE: Record<InputMode, number> = { dense: 0, row: 1, col: 2, const: 3, strided: -1, rows: -1 };

/**
 * The part of a kernel's cache key past the expression key, as a number:
 * counts of scalars, inputs and outputs, then each output's dtype and each
 * input's dtype and mode (int32 never reaches here). A number hashes without
 * building a string per call; lists too long to pack exactly fall back to a string.
 */
function layoutCode(
  spec: ElementwiseSpec,
  modes: readonly InputMode[],
  strides: readonly (readonly number[])[],
): number | string {
  if (spec.inputs.length >= 64 || spec.dtypes.length >= 64) return layoutString(spec, modes, strides);
  // A strided input's kernel bakes its row strides (and the outer shape) in: those key by string.
  for (let k = 0; k < modes.length; k++) if (strides[k].length > 0) return layoutString(spec, modes, strides);
  let code = (spec.scalars.length * 64 + spec.inputs.length) * 64 + spec.dtypes.length;
  for (let k = 0; k < spec.dtypes.length; k++) code = code * 2 + (spec.dtypes[k] === 'bool' ? 1 : 0);
  for (let k = 0; k < spec.inputs.length; k++)
    code = code * 8 + (spec.inputs[k].dtype === 'bool' ? 4 : 0) + MODE_CODE[modes[k]];
  return Number.isSafeInteger(code) ? code : layoutString(spec, modes, strides);
}

/** The number of outer dims of the layout, where a 'rows' input tells it (its strides span them); else 0. */
function outerRank(modes: readonly InputMode[], strides: readonly (readonly number[])[]): number {
  for (let k = 0; k < modes.length; k++) if (modes[k] === 'rows') return strides[k].length;
  return 0;
}

function layoutString(
  spec: ElementwiseSpec,
  modes: readonly InputMode[],
  strides: readonly (readonly number[])[],
): string {
  const rows = modes.includes('rows') ? `|${spec.shape.slice(0, outerRank(modes, strides)).join(',')}` : '';
  return `${spec.scalars.length}|${spec.dtypes.join(',')}|${spec.inputs.map((v, k) => v.dtype[0] + modes[k] + strides[k].join(':')).join(',')}${rows}`;
}

export class SimdElementwise {
  /** Compiled kernels (null: no SIMD form) by expression key, then by layoutCode. */
  private readonly cache = new Map<string, Map<number | string, Kernel | null>>();
  private scalarPtr = 0;
  private scalarCap = 0;
  private scalarView: Float32Array = new Float32Array(0);
  private kernels = 0;

  /** `workers(threads)`: the shared worker pool (started on first use), or null where there are no threads. */
  constructor(
    private readonly heap: WasmHeap,
    private readonly workers: (threads: number) => WorkerPool | null = () => null,
  ) {}

  // Plain loops, no closures or spreads: at 8 or 100 elements this function's overhead is the op's cost.
  run(
    spec: ElementwiseSpec,
    alloc: (dtype: 'float32' | 'bool', n: number) => TypedArray,
    threads = 1,
  ): TypedArray[] | null {
    if (!this.heap.shared) return null;
    const n = sizeOfShape(spec.shape);
    if (n < MIN_INNER) return null;
    const { inputs, dtypes } = spec;
    for (let k = 0; k < dtypes.length; k++) if (dtypes[k] === 'int32') return null;
    for (let k = 0; k < inputs.length; k++) if (inputs[k].dtype === 'int32') return null;
    const plan = planLayout(spec.shape, inputs);
    if (plan === null) return null;
    for (let k = 0; k < inputs.length; k++) if (!this.heap.contains(arr(inputs[k].data))) return null;
    let byLayout = this.cache.get(spec.key);
    if (byLayout === undefined) this.cache.set(spec.key, (byLayout = new Map()));
    const code = layoutCode(spec, plan.modes, plan.strides);
    let kernel = byLayout.get(code);
    if (kernel === undefined) {
      kernel = spec.exprs.every(simdExpressible) ? this.compile(spec, plan.modes, plan.strides) : null;
      byLayout.set(code, kernel);
    }
    if (kernel === null) return null;
    const outs: TypedArray[] = new Array(dtypes.length);
    for (let k = 0; k < dtypes.length; k++) outs[k] = alloc(dtypes[k] as 'float32' | 'bool', n);
    const sp = this.scalars(spec.scalars);
    const ptrs: number[] = new Array(inputs.length + outs.length);
    for (let k = 0; k < inputs.length; k++) {
      const data = arr(inputs[k].data);
      ptrs[k] = data.byteOffset + inputs[k].offset * data.BYTES_PER_ELEMENT;
    }
    for (let k = 0; k < outs.length; k++) ptrs[inputs.length + k] = outs[k].byteOffset;
    if (
      threads > 1 &&
      n >= PARALLEL_MIN_ELEMENTS &&
      this.split(kernel, spec, plan.modes, plan.outer, outs, ptrs, sp, n, threads)
    )
      return outs;
    const run = kernel.run;
    if (ptrs.length === 2) run(plan.outer, plan.inner, sp, ptrs[0], ptrs[1]);
    else if (ptrs.length === 3) run(plan.outer, plan.inner, sp, ptrs[0], ptrs[1], ptrs[2]);
    else run(plan.outer, plan.inner, sp, ...ptrs);
    return outs;
  }

  /**
   * Runs the kernel as element ranges shared with the worker threads; false
   * (nothing run) when no worker is ready or an input is a repeated row or
   * column of a many-row layout, which a flat range cannot cut. (Over one
   * row a repeated row is just dense and a per-row value a constant.)
   */
  private split(
    kernel: Kernel,
    spec: ElementwiseSpec,
    modes: readonly InputMode[],
    outer: number,
    outs: readonly TypedArray[],
    ptrs: readonly number[],
    sp: number,
    n: number,
    threads: number,
  ): boolean {
    if (outer > 1)
      for (let k = 0; k < modes.length; k++) if (modes[k] !== 'dense' && modes[k] !== 'const') return false;
    if (7 + 2 * ptrs.length > MAX_JOB_INTS) return false;
    const pool = this.workers(threads);
    const helpers = pool === null ? 0 : Math.min(threads - 1, pool.ready());
    if (pool === null || helpers === 0) return false;
    const P = Math.min(Math.ceil(n / CHUNK_ELEMENTS), 4 * (helpers + 1));
    const job = [JOB_ELEMENTWISE, P, kernel.id, kernel.bytes, kernel.length, n, sp];
    const { inputs } = spec;
    for (let k = 0; k < inputs.length; k++)
      job.push(ptrs[k], modes[k] === 'const' || modes[k] === 'col' ? 0 : arr(inputs[k].data).BYTES_PER_ELEMENT);
    for (let k = 0; k < outs.length; k++) job.push(ptrs[inputs.length + k], outs[k].BYTES_PER_ELEMENT);
    const run = kernel.run;
    pool.run(job, (i) => {
      const a = elementwiseChunk(job, i);
      if (a) run(...(a as [number, number, number]));
    });
    return true;
  }

  private compile(spec: ElementwiseSpec, modes: InputMode[], strides: readonly (readonly number[])[]): Kernel {
    const bytes = elementwiseModuleBytes(
      {
        exprs: spec.exprs,
        inputs: spec.inputs.map((v, k) => ({ mode: modes[k], bool: v.dtype === 'bool', rowStrides: strides[k] })),
        outerShape: spec.shape.slice(0, outerRank(modes, strides)),
        outputs: spec.dtypes.map((d) => d === 'bool'),
        nScalars: spec.scalars.length,
      },
      this.heap.shared,
    );
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: this.heap.memory } });
    // The bytes stay in the heap for workers to compile from (kernels are cached for the process's life).
    const at = this.heap.malloc(bytes.length);
    new Uint8Array(this.heap.buffer(), at, bytes.length).set(bytes);
    return { run: instance.exports.run as Run, id: this.kernels++, bytes: at, length: bytes.length };
  }

  /** Writes the run-time scalars as float32 into a heap block; returns its address. */
  private scalars(values: readonly number[]): number {
    if (values.length > this.scalarCap) {
      if (this.scalarCap > 0) this.heap.release(this.scalarPtr, this.scalarCap * 4);
      this.scalarCap = Math.max(16, values.length);
      this.scalarPtr = this.heap.malloc(this.scalarCap * 4);
      // run() serves shared heaps only, whose views stay valid when the memory grows: one view per block.
      this.scalarView = this.heap.f32(this.scalarPtr, this.scalarCap);
    }
    if (values.length > 0) this.scalarView.set(values);
    return this.scalarPtr;
  }
}
