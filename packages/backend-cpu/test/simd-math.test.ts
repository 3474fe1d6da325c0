import { E, type ElementwiseSpec, exprKey, type UnaryOp } from '@tsdl/tensor/backend';
import { describe, expect, it } from 'vitest';
import { WasmHeap } from '../src/wasm/heap';
import { SimdElementwise } from '../src/wasm/simd-elementwise';

/**
 * The wasm SIMD exp, sigmoid, tanh, log and erf (simd-math.ts) against Math.* in
 * float64 over the whole float32 range: every 4096th bit pattern of each
 * sign (2·2^20 values: every binade, the subnormals included), the
 * overflow/underflow thresholds and their neighbours, ±0, ±Inf and NaN. The
 * error is measured in float32 ulps of the exact result; results that round
 * to ±Inf, 0 or NaN must match exactly.
 */

const heap = new WasmHeap(true);
const simd = new SimdElementwise(heap);
const alloc = (dtype: 'float32' | 'bool', n: number) => heap.alloc(dtype, n, false);

const REFERENCE: Partial<Record<UnaryOp, (x: number) => number>> = {
  exp: Math.exp,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  log: Math.log,
  erf,
};

/** erf to ~1e-14 (the conformance suite's reference): Maclaurin series below 2.5, Laplace's continued fraction above. */
function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = x;
    let s = x;
    for (let n = 1; n < 80; n++) {
      term *= (-x * x) / n;
      s += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * s;
  }
  let t = a;
  for (let n = 60; n >= 1; n--) t = a + n / 2 / t;
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / t);
}

/** The float32 values around each of these: thresholds where results overflow, underflow or switch form. */
const EDGES = [
  88.72283935546875,
  -87.33654022216797,
  -103.27893,
  -103.97208,
  -104,
  89,
  0.625,
  -0.625,
  1e-8,
  -1e-8,
  2 ** -126,
  2 ** -149,
  3.4028234663852886e38,
  1,
  Math.SQRT1_2,
  Math.SQRT2,
  9,
  -9,
  44.4,
  -44.4,
];

function sweep(): Float32Array {
  const bits = new Uint32Array(2 * 2 ** 20 + EDGES.length * 9 + 6);
  let n = 0;
  for (let b = 0; b < 2 ** 32; b += 4096) bits[n++] = b;
  const f = new Float32Array(bits.buffer);
  for (const e of EDGES) {
    const c = new Uint32Array(new Float32Array([e]).buffer)[0];
    for (let d = -4; d <= 4; d++) bits[n++] = c + d;
  }
  for (const v of [0, -0, Infinity, -Infinity, NaN, 3e38]) f[n++] = v;
  return f;
}

/** The size of one float32 ulp at |v| (v finite, within float32's range). */
function ulp(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Max ulp error of the SIMD kernel for `op` over the sweep; throws on the first special value that differs. */
function maxUlpError(op: UnaryOp): { max: number; at: number } {
  const xs = sweep();
  const input = heap.alloc('float32', xs.length, false);
  input.set(xs);
  const exprs = [E.u(op, E.in(0))];
  const spec: ElementwiseSpec = {
    exprs,
    inputs: [{ data: { a: input }, dtype: 'float32', shape: [xs.length], strides: [1], offset: 0 }],
    scalars: [],
    shape: [xs.length],
    dtypes: ['float32'],
    key: exprs.map(exprKey).join(';'),
  };
  const outs = simd.run(spec, alloc);
  expect(outs, 'the SIMD path served this spec').not.toBeNull();
  const got = (outs as Float32Array[])[0];
  const ref = REFERENCE[op] as (x: number) => number;
  let max = 0;
  let at = 0;
  for (let i = 0; i < xs.length; i++) {
    const exact = ref(xs[i]);
    const rounded = Math.fround(exact);
    if (!Number.isFinite(rounded) || rounded === 0) {
      if (!Object.is(got[i], rounded) && !(rounded === 0 && got[i] === 0))
        throw new Error(`${op}(${xs[i]}) = ${got[i]}, expected ${rounded}`);
      continue;
    }
    if (!Number.isFinite(got[i])) throw new Error(`${op}(${xs[i]}) = ${got[i]}, expected ${rounded}`);
    const err = Math.abs(got[i] - exact) / ulp(exact);
    if (err > max) {
      max = err;
      at = xs[i];
    }
  }
  heap.free(input);
  heap.free(got);
  return { max, at };
}

describe('wasm SIMD exp, sigmoid, tanh, log, erf over the float32 range', () => {
  it.each([
    ['exp', 1.5],
    ['sigmoid', 3],
    ['tanh', 2],
    ['log', 1.5],
    ['erf', 3],
  ] as [UnaryOp, number][])('%s is within %d ulp of Math in float64', (op, bound) => {
    const { max, at } = maxUlpError(op);
    expect(max, `${op}: worst at ${at}`).toBeLessThanOrEqual(bound);
  });

  it('keeps the sign and size of tiny tanh arguments and the subnormals of exp and sigmoid', () => {
    const xs = new Float32Array([1e-8, -1e-8, -0, 0, -100, -103, 2 ** -140, 1e-30]);
    const input = heap.alloc('float32', xs.length, false);
    input.set(xs);
    const run = (op: UnaryOp) => {
      const exprs = [E.u(op, E.in(0))];
      const out = simd.run(
        {
          exprs,
          inputs: [{ data: { a: input }, dtype: 'float32', shape: [xs.length], strides: [1], offset: 0 }],
          scalars: [],
          shape: [xs.length],
          dtypes: ['float32'],
          key: exprKey(exprs[0]),
        },
        alloc,
      );
      expect(out).not.toBeNull();
      return Array.from((out as Float32Array[])[0]);
    };
    const tanh = run('tanh');
    expect(tanh.slice(0, 4)).toEqual([Math.fround(1e-8), Math.fround(-1e-8), -0, 0]);
    const exp = run('exp');
    expect(exp[4]).toBe(Math.fround(Math.exp(-100)));
    expect(exp[5]).toBeGreaterThan(0); // subnormal, not flushed
    expect(run('sigmoid')[4]).toBe(Math.fround(1 / (1 + Math.exp(100))));
    const log = run('log');
    expect(log[6]).toBe(Math.fround(-140 * Math.LN2));
    expect(log[2]).toBe(-Infinity);
    const erf = run('erf');
    expect(erf.slice(2, 4)).toEqual([-0, 0]);
    expect(erf[7]).toBe(Math.fround(1e-30 * (2 / Math.sqrt(Math.PI))));
    expect(erf[4]).toBe(-1);
  });
});
