import { type Tensor, dispose, setBackend, slice, sum, tensor } from '@tsdl/tensor';
import { expectAllClose, seededNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import { cpu } from '../src/index';
import { wasmRuntime } from '../src/wasm/runtime';

/**
 * Sums over the leading axes (a broadcast bias's gradient: over the batch and every spatial
 * position) run as the wasm column sum for an even channel count: the same float64 accumulation
 * in the same order as the JS kernel, so the results must agree to the bit, and with float64.
 */

const simd = cpu({ name: 'column-sum-simd' });
const js = cpu({ name: 'column-sum-js', simd: false });

// Counts the wasm kernel's calls (the runtime is shared, its exports frozen: wrap the field).
let kernelCalls = 0;
const rt = wasmRuntime();
if (rt !== null) {
  const { columnSum } = rt.columnSum;
  rt.columnSum = { columnSum: (...a) => (kernelCalls++, columnSum(...a)) };
}

/** sum over every axis but the last, on `backend`, of `values` in `shape`, from row `from` on. */
function columnSums(
  backend: ReturnType<typeof cpu>,
  values: Float32Array,
  shape: number[],
  from: number,
): Float32Array {
  setBackend(backend);
  const x: Tensor = tensor(values, shape, 'float32');
  const v = from === 0 ? x : slice(x, [from], [shape[0]]);
  const s = sum(
    v,
    shape.slice(0, -1).map((_, i) => i),
  );
  const out = s.dataSync() as Float32Array;
  dispose([x, v, s]);
  return out;
}

/** The float64 sums of each column of the rows from `from` on. */
function reference(values: Float32Array, shape: number[], from: number): Float64Array {
  const cols = shape[shape.length - 1];
  const rowsPerFirst = values.length / shape[0] / cols;
  const out = new Float64Array(cols);
  for (let i = from * rowsPerFirst * cols; i < values.length; i++) out[i % cols] += values[i];
  return out;
}

describe('column sums on the wasm kernel', () => {
  const cases: [string, number[], number][] = [
    ['MNIST CNN conv1 bias gradient [64,26,26,32]', [64, 26, 26, 32], 0],
    ['conv2 [64,11,11,64], from row 5 (an offset view)', [64, 11, 11, 64], 5],
    ['Dense bias [32,128]', [32, 128], 0],
    ['Dense bias [32,10]', [32, 10], 0],
    ['two columns [7,2]', [7, 2], 1],
    ['an odd column count [9,4,5] (the JS loop)', [9, 4, 5], 0],
  ];
  for (const [name, shape, from] of cases) {
    it(name, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from(seededNumbers(n, 3));
      const before = kernelCalls;
      const fast = columnSums(simd, values, shape, from);
      expect(kernelCalls - before).toBe(shape[shape.length - 1] % 2 === 0 ? 1 : 0);
      const plain = columnSums(js, values, shape, from);
      expect(Array.from(fast)).toEqual(Array.from(plain));
      // Sums of up to 43k values in [-1, 1), rounded once to float32.
      expectAllClose(fast, reference(values, shape, from), { atol: 1e-5, rtol: 1e-6 });
    });
  }
});
