import { grad } from '@tsdl/autograd';
import * as T from '@tsdl/tensor';
import { expect } from 'vitest';
import torch from '../fixtures/torch-windows.json';
import { footprint } from '../tensor/helpers';
import { type Case, type Layout, expectTensor, fmt, input, registerCases } from './harness';
import * as ref from './reference';

/**
 * Pooling's options beyond the kernels': dilations, ceilMode,
 * countIncludePad and divisorOverride, against a float64 loop in several
 * layouts, PyTorch's max_pool2d / avg_pool2d (values and input gradients),
 * hand-computed values and bad calls.
 */

type Pad = T.Padding2d;
const pairOf = (v: number | readonly number[] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

interface PoolCase {
  kind: 'max' | 'avg';
  x: readonly [number, number, number, number];
  k: number | readonly [number, number];
  strides?: number | readonly [number, number];
  padding?: Pad;
  dilations?: number | readonly [number, number];
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number;
}

interface Axis {
  size: number;
  k: number;
  s: number;
  d: number;
  before: number;
  after: number;
  out: number;
}

/** One axis, from the definitions (TensorFlow's 'same'; PyTorch's ceil-mode rule). */
function axisOf(
  size: number,
  k: number,
  s: number,
  d: number,
  padding: Pad | undefined,
  axis: 0 | 1,
  ceil: boolean,
): Axis {
  const eff = (k - 1) * d + 1;
  if (padding === 'same') {
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + eff - size, 0);
    return { size, k, s, d, before: Math.floor(total / 2), after: total - Math.floor(total / 2), out };
  }
  let before = 0;
  let after = 0;
  if (typeof padding === 'number') before = after = padding;
  else if (Array.isArray(padding) && typeof padding[0] === 'number')
    before = after = (padding as readonly number[])[axis];
  else if (Array.isArray(padding)) [before, after] = (padding as readonly (readonly [number, number])[])[axis];
  const span = size + before + after - eff;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= size + before) out--;
  return { size, k, s, d, before, after, out };
}

/** Positions of one axis' window taps: inside the input, inside the padded input. */
function taps(a: Axis, o: number): { valid: number[]; padded: number } {
  const valid: number[] = [];
  let padded = 0;
  for (let j = 0; j < a.k; j++) {
    const p = o * a.s - a.before + j * a.d;
    if (p >= 0 && p < a.size) valid.push(p);
    if (p >= -a.before && p < a.size + a.after) padded++;
  }
  return { valid, padded };
}

function poolRef(c: PoolCase, x: readonly number[]): { shape: number[]; data: number[] } {
  const [N, H, W, C] = c.x;
  const [kH, kW] = pairOf(c.k, 1);
  const [sH, sW] = pairOf(c.strides ?? c.k, 1);
  const [dH, dW] = pairOf(c.dilations, 1);
  const h = axisOf(H, kH, sH, dH, c.padding, 0, c.ceilMode ?? false);
  const w = axisOf(W, kW, sW, dW, c.padding, 1, c.ceilMode ?? false);
  const data: number[] = [];
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < h.out; oy++)
      for (let ox = 0; ox < w.out; ox++) {
        const ty = taps(h, oy);
        const tx = taps(w, ox);
        for (let ch = 0; ch < C; ch++) {
          const vals = ty.valid.flatMap((iy) => tx.valid.map((ix) => x[((n * H + iy) * W + ix) * C + ch]));
          if (c.kind === 'max') {
            data.push(Math.max(...vals));
          } else {
            const divisor = c.divisorOverride ?? (c.countIncludePad ? ty.padded * tx.padded : vals.length);
            data.push(vals.reduce((a, b) => a + b, 0) / divisor);
          }
        }
      }
  return { shape: [N, h.out, w.out, C], data };
}

const optsOf = (c: PoolCase): T.AvgPool2dOptions => {
  const o: T.AvgPool2dOptions = {
    kernelSize: c.k,
    strides: c.strides,
    padding: c.padding,
    dilations: c.dilations,
    ceilMode: c.ceilMode,
  };
  if (c.kind === 'avg') Object.assign(o, { countIncludePad: c.countIncludePad, divisorOverride: c.divisorOverride });
  return o;
};

const poolOf = (kind: 'max' | 'avg') => (kind === 'max' ? T.maxPool2d : T.avgPool2d);

const CASES: readonly PoolCase[] = [
  // Dilated windows (the lowering over taps).
  { kind: 'max', x: [1, 7, 7, 2], k: 3, strides: 1, dilations: 2 },
  { kind: 'max', x: [2, 6, 7, 1], k: [2, 3], strides: [1, 2], padding: 1, dilations: [2, 1], ceilMode: true },
  { kind: 'avg', x: [1, 6, 6, 2], k: 2, strides: 2, padding: 'same', dilations: 2 },
  { kind: 'avg', x: [1, 5, 5, 1], k: 2, strides: 1, padding: 1, dilations: 2, countIncludePad: true },
  {
    kind: 'avg',
    x: [1, 7, 6, 2],
    k: 3,
    strides: 2,
    padding: [
      [1, 0],
      [2, 1],
    ],
    dilations: [1, 2],
    ceilMode: true,
    divisorOverride: 5,
  },
  // ceilMode on the kernels, and the divisor as a factor on the kernel's average.
  { kind: 'max', x: [1, 5, 5, 3], k: 2, strides: 2, ceilMode: true },
  { kind: 'avg', x: [1, 6, 6, 1], k: 3, strides: 2, ceilMode: true },
  {
    kind: 'avg',
    x: [1, 6, 5, 2],
    k: 2,
    strides: 2,
    padding: [
      [1, 0],
      [0, 1],
    ],
    ceilMode: true,
    countIncludePad: true,
  },
  { kind: 'avg', x: [1, 5, 5, 1], k: 3, strides: 2, padding: 'same', divisorOverride: 3 },
  { kind: 'avg', x: [1, 5, 6, 2], k: 3, strides: 2, padding: 'same', countIncludePad: true },
  { kind: 'avg', x: [2, 4, 4, 1], k: 2, strides: 2, countIncludePad: true },
];

function referenceCases(): Case[] {
  const cases: Case[] = [];
  CASES.forEach((c, i) => {
    const desc = `${c.kind}Pool2d x ${fmt(c.x)} ${JSON.stringify(optsOf(c)).replace(/"/g, '')}`;
    for (const layout of ['contiguous', 'sliced', 'transposed'] as Layout[]) {
      cases.push({
        name: `${desc} (${layout})`,
        run: () => {
          const x = input(c.x, 'float32', 2400 + i, layout);
          const y = poolRef(c, x.ref.data);
          expectTensor(poolOf(c.kind)(x.t, optsOf(c)), y.shape, 'float32', y.data);
        },
      });
    }
    cases.push({
      name: `${desc} NCHW`,
      run: () => {
        const x = input(c.x, 'float32', 2400 + i);
        const y = poolRef(c, x.ref.data);
        const xN = T.tensor(ref.transpose(x.ref, [0, 3, 1, 2]).data, [c.x[0], c.x[3], c.x[1], c.x[2]]);
        const yN = ref.transpose(y, [0, 3, 1, 2]);
        expectTensor(poolOf(c.kind)(xN, { ...optsOf(c), dataFormat: 'NCHW' }), yN.shape, 'float32', yN.data);
      },
    });
  });
  return cases;
}

function torchCases(): Case[] {
  return torch.pool.map((c, i) => ({
    name: `${c.kind}_pool2d against PyTorch, value and input gradient: x ${fmt(c.x)} kernel ${JSON.stringify(c.kernel)} stride ${JSON.stringify(c.stride)} padding ${JSON.stringify(c.padding)} dilation ${c.dilation} ceil_mode ${c.ceilMode}${c.kind === 'avg' ? ` count_include_pad ${c.countIncludePad} divisor_override ${c.divisorOverride}` : ''} (case ${i})`,
    run: () => {
      const opts: T.AvgPool2dOptions = {
        kernelSize: c.kernel as number | [number, number],
        strides: c.stride as number | [number, number],
        padding: c.padding as number | [number, number],
        dilations: c.dilation,
        ceilMode: c.ceilMode,
        dataFormat: 'NCHW',
      };
      if (c.kind === 'avg')
        Object.assign(opts, { countIncludePad: c.countIncludePad, divisorOverride: c.divisorOverride ?? undefined });
      const f = (t: T.Tensor) => poolOf(c.kind as 'max' | 'avg')(t, opts);
      const x = T.tensor(c.xv, c.x);
      expectTensor(f(x), c.yShape, 'float32', c.y);
      const dy = T.tensor(c.dyv, c.yShape);
      expectTensor(
        grad((t: T.Tensor) => T.sum(T.mul(f(t), dy)))(x) as T.Tensor,
        c.x,
        'float32',
        c.dx,
        undefined,
        'input gradient',
      );
    },
  }));
}

const KNOWN: readonly Case[] = [
  {
    name: 'pool options on known values: ceilMode keeps the partial last window; countIncludePad and divisorOverride change the divisor; dilation skips cells',
    run: () => {
      const x = T.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      expectTensor(T.maxPool2d(x, { kernelSize: 2 }), [1, 1, 1, 1], 'float32', [5]);
      expectTensor(T.maxPool2d(x, { kernelSize: 2, ceilMode: true }), [1, 2, 2, 1], 'float32', [5, 6, 8, 9]);
      expectTensor(T.avgPool2d(x, { kernelSize: 2, ceilMode: true }), [1, 2, 2, 1], 'float32', [3, 4.5, 7.5, 9]);
      // Dilation 2: the window's cells are the four corners.
      expectTensor(T.maxPool2d(x, { kernelSize: 2, dilations: 2 }), [1, 1, 1, 1], 'float32', [9]);
      expectTensor(T.maxPool2d(T.neg(x), { kernelSize: 2, dilations: 2 }), [1, 1, 1, 1], 'float32', [-1]);
      expectTensor(T.avgPool2d(x, { kernelSize: 2, dilations: 2 }), [1, 1, 1, 1], 'float32', [5]);
      // Padding 1, kernel 2, stride 2 on a 2×2 image: every window holds one pixel and three padding cells.
      const small = T.tensor([1, 2, 3, 4], [1, 2, 2, 1]);
      const o = { kernelSize: 2, padding: 1 } as const;
      expectTensor(T.avgPool2d(small, o), [1, 2, 2, 1], 'float32', [1, 2, 3, 4]);
      expectTensor(T.avgPool2d(small, { ...o, countIncludePad: true }), [1, 2, 2, 1], 'float32', [0.25, 0.5, 0.75, 1]);
      expectTensor(T.avgPool2d(small, { ...o, divisorOverride: 2 }), [1, 2, 2, 1], 'float32', [0.5, 1, 1.5, 2]);
      // ceilMode drops a last window that would start in the trailing padding (PyTorch's rule):
      // 5 cells, padding 1, kernel 2, stride 2: windows start at −1, 1, 3 (5 would be padding only).
      expectTensor(
        T.maxPool2d(T.tensor([1, 2, 3, 4, 5], [1, 1, 5, 1]), { kernelSize: [1, 2], padding: [0, 1], ceilMode: true }),
        [1, 1, 3, 1],
        'float32',
        [1, 3, 5],
      );
    },
  },
];

interface BadCall {
  name: string;
  call: (x: T.Tensor) => unknown;
  error: typeof T.TsdlError;
  message: RegExp;
}

const BAD: readonly BadCall[] = [
  {
    name: "ceilMode with 'same' padding",
    call: (x) => T.maxPool2d(x, { kernelSize: 2, padding: 'same', ceilMode: true }),
    error: T.ArgumentError,
    message:
      /^maxPool2d: ceilMode needs 'valid' or explicit padding; 'same' already gives ceil\(input \/ stride\) windows/,
  },
  {
    name: 'divisorOverride 0',
    call: (x) => T.avgPool2d(x, { kernelSize: 2, divisorOverride: 0 }),
    error: T.ArgumentError,
    message: /^avgPool2d: divisorOverride must be a positive integer, got 0/,
  },
  {
    name: 'divisorOverride on maxPool2d',
    call: (x) => T.maxPool2d(x, { kernelSize: 2, divisorOverride: 2 } as T.Pool2dOptions),
    error: T.ArgumentError,
    message:
      /^maxPool2d: unknown option 'divisorOverride' \(known: kernelSize, strides, padding, dataFormat, dilations, ceilMode\)/,
  },
  {
    name: 'countIncludePad not a boolean',
    call: (x) => T.avgPool2d(x, { kernelSize: 2, countIncludePad: 'yes' as unknown as boolean }),
    error: T.ArgumentError,
    message: /^avgPool2d: option 'countIncludePad' must be a boolean, got "yes"/,
  },
  {
    name: 'dilations 0',
    call: (x) => T.maxPool2d(x, { kernelSize: 2, dilations: 0 }),
    error: T.ArgumentError,
    message: /^maxPool2d: dilations must be positive integers, got 0/,
  },
  {
    name: 'a dilated window larger than the input',
    call: (x) => T.avgPool2d(x, { kernelSize: 3, dilations: 3 }),
    error: T.ShapeError,
    message: /^avgPool2d: a window of 7 \(kernel 3, dilation 3\) does not fit an input of 4 with padding 0\+0/,
  },
  {
    name: 'an unknown option',
    call: (x) => T.avgPool2d(x, { kernelSize: 2, count_include_pad: true } as T.AvgPool2dOptions),
    error: T.ArgumentError,
    message: /^avgPool2d: unknown option 'count_include_pad'/,
  },
];

function badCases(): Case[] {
  return BAD.map((b) => ({
    name: `error: ${b.name}`,
    run: () => {
      const x = T.zeros([1, 4, 4, 1]);
      const before = footprint();
      let err: unknown;
      try {
        b.call(x);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(b.error);
      expect((err as Error).message).toMatch(b.message);
      expect(footprint()).toEqual(before);
    },
  }));
}

export function registerPoolOptions(): void {
  registerCases('pool options against a float64 loop', referenceCases());
  registerCases('pool options against PyTorch', torchCases());
  registerCases('pool options on known values', KNOWN);
  registerCases('pool options: bad calls', badCases());
}
