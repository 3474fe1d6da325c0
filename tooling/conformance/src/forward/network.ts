import * as T from '@tsdl/tensor';
import { applyDropout, conv2dGradFilter, conv2dGradInput, pool2dGrad } from '@tsdl/tensor/internal';
import type { Conv2dParams, Pool2dParams } from '@tsdl/tensor/backend';
import { expect } from 'vitest';
import {
  type Case,
  type Layout,
  afterRead,
  expectRef,
  expectTensor,
  fmt,
  input,
  registerCases,
  seededFor,
} from './harness';
import * as ref from './reference';

/**
 * Network ops: softmax / logSoftmax on every axis, conv2d in both layouts with
 * stride, 'same' / 'valid' / explicit padding and dilation, its two gradient
 * kernels, max / average pooling and its gradient, all against naive float64
 * loops (reference.ts); dropout by its stated statistics.
 */

// ---- softmax ----------------------------------------------------------------------

function softmaxCases(): Case[] {
  const cases: Case[] = [];
  for (const [name, f, log] of [
    ['softmax', T.softmax, false],
    ['logSoftmax', T.logSoftmax, true],
  ] as const) {
    for (const axis of [0, 1, 2, -1, -2]) {
      for (const layout of ['contiguous', 'transposed', 'sliced'] as const) {
        for (const [scale, label] of [
          [1, ''],
          [400, ' large (±1200)'],
        ] as const) {
          cases.push({
            name: `${name} [2,3,4] ${layout} axis ${axis}${label}`,
            run: () => {
              const vals = seededFor('float32', 24, 40 + axis, -3, 3).map((v) => Math.fround(v * scale));
              const x = input([2, 3, 4], 'float32', 0, layout, vals);
              const a = axis < 0 ? axis + 3 : axis;
              expectRef(f(x.t, axis), ref.softmax(x.ref, a, log), 'float32', undefined, `${name} axis ${axis}`);
            },
          });
        }
      }
    }
    for (const shape of [[5], [3, 1], [0, 3], [2, 0]] as const) {
      cases.push({
        name: `${name} ${fmt(shape)} default axis (-1)`,
        run: () => {
          const x = input(shape, 'float32', 45);
          expectRef(f(x.t), ref.softmax(x.ref, shape.length - 1, log), 'float32');
        },
      });
    }
    cases.push({
      name: `${name} of int32 is float32`,
      run: () => {
        const x = input([2, 3], 'int32', 46);
        expectRef(f(x.t, 0), ref.softmax(x.ref, 0, log), 'float32');
      },
    });
  }
  cases.push(
    {
      name: 'softmax rows sum to 1; -Infinity entries get probability 0 (log: -Infinity)',
      run: () => {
        const x = T.tensor([
          [-Infinity, 0, 0],
          [1000, 1000, -1000],
        ]);
        expectTensor(T.softmax(x), [2, 3], 'float32', [0, 0.5, 0.5, 0.5, 0.5, 0]);
        expectTensor(T.logSoftmax(x), [2, 3], 'float32', [
          -Infinity,
          -Math.LN2,
          -Math.LN2,
          -Math.LN2,
          -Math.LN2,
          -2000 - Math.LN2,
        ]);
        expectTensor(T.sum(T.softmax(input([4, 7], 'float32', 47).t, 1), 1), [4], 'float32', [1, 1, 1, 1]);
      },
    },
    {
      name: 'softmax errors: a 0-d tensor (ShapeError), an axis out of range (AxisError)',
      run: () => {
        expect(() => T.softmax(T.scalar(1))).toThrow(T.ShapeError);
        expect(() => T.logSoftmax(T.zeros([2, 3]), 2)).toThrow(T.AxisError);
      },
    },
  );
  return cases;
}

// ---- conv2d ----------------------------------------------------------------------

type Pad =
  | 'valid'
  | 'same'
  | number
  | readonly [number, number]
  | readonly [readonly [number, number], readonly [number, number]];

interface ConvCase {
  x: readonly [number, number, number, number]; // NHWC
  k: readonly [number, number];
  O: number;
  strides?: number | readonly [number, number];
  padding?: Pad;
  dilations?: number | readonly [number, number];
}

const CONV: readonly ConvCase[] = [
  { x: [1, 5, 5, 1], k: [3, 3], O: 1 },
  { x: [2, 5, 6, 3], k: [3, 2], O: 4, padding: 'same' },
  { x: [2, 7, 7, 2], k: [3, 3], O: 3, strides: 2, padding: 'same' },
  { x: [1, 6, 6, 2], k: [2, 2], O: 2, strides: 2, padding: 'same' },
  { x: [1, 8, 8, 1], k: [3, 3], O: 2, strides: [2, 1], padding: 'same' },
  { x: [2, 6, 5, 2], k: [3, 3], O: 2, dilations: 2 },
  { x: [1, 7, 7, 2], k: [3, 2], O: 3, dilations: [2, 1], padding: 'same' },
  { x: [1, 5, 5, 2], k: [3, 3], O: 2, padding: 1 },
  { x: [1, 5, 6, 2], k: [2, 3], O: 2, padding: [1, 2] },
  {
    x: [1, 4, 5, 1],
    k: [3, 3],
    O: 2,
    strides: 2,
    padding: [
      [1, 0],
      [0, 2],
    ],
  },
  { x: [3, 4, 4, 3], k: [1, 1], O: 5 },
  { x: [1, 3, 3, 2], k: [3, 3], O: 2 },
  { x: [2, 9, 9, 3], k: [5, 5], O: 4, strides: 3, padding: 'same' },
];

const pairOf = (v: number | readonly [number, number] | undefined): [number, number] =>
  v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

/** Per-axis padding in the reference's terms. */
function padsOf(p: Pad | undefined): ['same' | 'valid' | [number, number], 'same' | 'valid' | [number, number]] {
  if (p === undefined || p === 'valid') return ['valid', 'valid'];
  if (p === 'same') return ['same', 'same'];
  if (typeof p === 'number')
    return [
      [p, p],
      [p, p],
    ];
  if (typeof p[0] === 'number') {
    const [h, w] = p as readonly [number, number];
    return [
      [h, h],
      [w, w],
    ];
  }
  const [h, w] = p as readonly [readonly [number, number], readonly [number, number]];
  return [
    [h[0], h[1]],
    [w[0], w[1]],
  ];
}

function convGeom(c: ConvCase): ref.ConvGeom {
  const [N, H, W, C] = c.x;
  const [kH, kW] = c.k;
  const [sH, sW] = pairOf(c.strides);
  const [dH, dW] = pairOf(c.dilations);
  const [pH, pW] = padsOf(c.padding);
  const [outH, padTop] = ref.axisGeometry(H, kH, sH, dH, pH);
  const [outW, padLeft] = ref.axisGeometry(W, kW, sW, dW, pW);
  return { N, H, W, C, kH, kW, O: c.O, sH, sW, dH, dW, outH, outW, padTop, padLeft };
}

function convParams(g: ref.ConvGeom): Conv2dParams {
  return {
    batch: g.N,
    inH: g.H,
    inW: g.W,
    inC: g.C,
    outH: g.outH,
    outW: g.outW,
    outC: g.O,
    kH: g.kH,
    kW: g.kW,
    strideH: g.sH,
    strideW: g.sW,
    dilationH: g.dH,
    dilationW: g.dW,
    padTop: g.padTop,
    padLeft: g.padLeft,
  };
}

const describeConv = (c: ConvCase): string =>
  `x ${fmt(c.x)} k ${fmt(c.k)}→${c.O}` +
  (c.strides !== undefined ? ` strides ${JSON.stringify(c.strides)}` : '') +
  ` padding ${JSON.stringify(c.padding ?? 'valid')}` +
  (c.dilations !== undefined ? ` dilations ${JSON.stringify(c.dilations)}` : '');

function convCases(): Case[] {
  const cases: Case[] = [];
  CONV.forEach((c, k) => {
    const g = convGeom(c);
    const opts = { strides: c.strides, padding: c.padding, dilations: c.dilations };
    const outShape = [g.N, g.outH, g.outW, g.O];
    for (const [lx, lw] of [
      ['contiguous', 'contiguous'],
      ['sliced', 'transposed'],
    ] as const) {
      cases.push({
        name: `conv2d NHWC ${describeConv(c)}${lx === 'contiguous' ? '' : ` (${lx} x, ${lw} filter)`}`,
        run: () => {
          const x = input(c.x, 'float32', 1600 + k, lx);
          const w = input([g.kH, g.kW, g.C, g.O], 'float32', 1650 + k, lw);
          expectTensor(T.conv2d(x.t, w.t, opts), outShape, 'float32', ref.conv2d(x.ref.data, w.ref.data, g));
        },
      });
    }
    cases.push({
      name: `conv2d NCHW ${describeConv(c)}`,
      run: () => {
        const x = input(c.x, 'float32', 1600 + k);
        const w = input([g.kH, g.kW, g.C, g.O], 'float32', 1650 + k);
        const xN = T.tensor(ref.transpose(x.ref, [0, 3, 1, 2]).data, [g.N, g.C, g.H, g.W]);
        const wN = T.tensor(ref.transpose(w.ref, [3, 2, 0, 1]).data, [g.O, g.C, g.kH, g.kW]);
        const y = ref.transpose({ shape: outShape, data: ref.conv2d(x.ref.data, w.ref.data, g) }, [0, 3, 1, 2]);
        expectRef(T.conv2d(xN, wN, { ...opts, dataFormat: 'NCHW' }), y, 'float32');
      },
    });
    cases.push({
      name: `conv2dGradInput ${describeConv(c)}`,
      run: () => {
        const dy = input(outShape, 'float32', 1700 + k, 'sliced');
        const w = input([g.kH, g.kW, g.C, g.O], 'float32', 1650 + k);
        expectTensor(
          conv2dGradInput(dy.t, w.t, convParams(g)),
          [g.N, g.H, g.W, g.C],
          'float32',
          ref.conv2dGradInput(dy.ref.data, w.ref.data, g),
        );
      },
    });
    cases.push({
      name: `conv2dGradFilter ${describeConv(c)}`,
      run: () => {
        const x = input(c.x, 'float32', 1600 + k, 'transposed');
        const dy = input(outShape, 'float32', 1700 + k);
        expectTensor(
          conv2dGradFilter(x.t, dy.t, convParams(g)),
          [g.kH, g.kW, g.C, g.O],
          'float32',
          ref.conv2dGradFilter(x.ref.data, dy.ref.data, g),
          { atol: 1e-4, rtol: 1e-4 },
        );
      },
    });
  });
  cases.push(
    {
      name: 'conv2d on known values: a 2×2 box filter sums windows; NCHW gives the same numbers',
      run: () => {
        const x = T.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
        const w = T.ones([2, 2, 1, 1]);
        expectTensor(T.conv2d(x, w), [1, 2, 2, 1], 'float32', [12, 16, 24, 28]);
        expectTensor(
          T.conv2d(T.reshape(x, [1, 1, 3, 3]), T.ones([1, 1, 2, 2]), { dataFormat: 'NCHW' }),
          [1, 1, 2, 2],
          'float32',
          [12, 16, 24, 28],
        );
        expectTensor(T.conv2d(x, w, { padding: 'same' }), [1, 3, 3, 1], 'float32', [12, 16, 9, 24, 28, 15, 15, 17, 9]);
      },
    },
    {
      name: 'conv2d errors: channel mismatch, non-float32 input, a window that does not fit, bad options',
      run: () => {
        const x = T.zeros([1, 4, 4, 2]);
        expect(() => T.conv2d(x, T.zeros([3, 3, 3, 1]))).toThrow(/conv2d.*2 channels.*expects 3/);
        expect(() => T.conv2d(T.zeros([1, 4, 4, 2], 'int32'), T.zeros([3, 3, 2, 1]))).toThrow(T.DTypeError);
        expect(() => T.conv2d(x, T.zeros([5, 5, 2, 1]))).toThrow(T.ShapeError);
        expect(() => T.conv2d(T.zeros([4, 4, 2]), T.zeros([3, 3, 2, 1]))).toThrow(/4-D/);
        expect(() => T.conv2d(x, T.zeros([3, 3, 2, 1]), { strides: 0 })).toThrow(T.ArgumentError);
        expect(() => T.conv2d(x, T.zeros([3, 3, 2, 1]), { dataFormat: 'HWNC' as 'NHWC' })).toThrow(T.ArgumentError);
      },
    },
  );
  return cases;
}

// ---- pooling ----------------------------------------------------------------------

interface PoolCase {
  x: readonly [number, number, number, number];
  k: number | readonly [number, number];
  strides?: number | readonly [number, number];
  padding?: Pad;
  layout?: Layout;
}

const POOL: readonly PoolCase[] = [
  { x: [1, 4, 4, 1], k: 2 },
  { x: [2, 5, 5, 3], k: 2, strides: 2, padding: 'same' },
  { x: [1, 5, 6, 2], k: [3, 2], strides: [1, 2] },
  { x: [2, 6, 6, 2], k: 3, strides: 2, padding: 'same' },
  { x: [1, 5, 5, 1], k: 3, strides: 1, padding: 1 },
  { x: [1, 4, 4, 2], k: [2, 2], strides: 1, layout: 'sliced' },
  {
    x: [1, 5, 4, 2],
    k: 2,
    padding: [
      [1, 0],
      [0, 1],
    ],
    layout: 'transposed',
  },
];

function poolGeom(c: PoolCase): ref.PoolGeom {
  const [N, H, W, C] = c.x;
  const [kH, kW] = pairOf(c.k);
  const [sH, sW] = pairOf(c.strides ?? c.k);
  const [pH, pW] = padsOf(c.padding);
  const [outH, padTop] = ref.axisGeometry(H, kH, sH, 1, pH);
  const [outW, padLeft] = ref.axisGeometry(W, kW, sW, 1, pW);
  return { N, H, W, C, kH, kW, sH, sW, outH, outW, padTop, padLeft };
}

function poolCases(): Case[] {
  const cases: Case[] = [];
  POOL.forEach((c, k) => {
    const g = poolGeom(c);
    const opts = { kernelSize: c.k, strides: c.strides, padding: c.padding };
    const outShape = [g.N, g.outH, g.outW, g.C];
    const desc = `x ${fmt(c.x)}${c.layout ? ` ${c.layout}` : ''} kernel ${JSON.stringify(c.k)} strides ${JSON.stringify(c.strides ?? 'kernel')} padding ${JSON.stringify(c.padding ?? 'valid')}`;
    for (const kind of ['max', 'avg'] as const) {
      const f = kind === 'max' ? T.maxPool2d : T.avgPool2d;
      cases.push({
        name: `${kind}Pool2d NHWC ${desc}`,
        run: () => {
          const x = input(c.x, 'float32', 1800 + k, c.layout);
          expectTensor(f(x.t, opts), outShape, 'float32', ref.pool2d(kind, x.ref.data, g));
        },
      });
      cases.push({
        name: `${kind}Pool2d NCHW ${desc}`,
        run: () => {
          const x = input(c.x, 'float32', 1800 + k);
          const xN = T.tensor(ref.transpose(x.ref, [0, 3, 1, 2]).data, [g.N, g.C, g.H, g.W]);
          const y = ref.transpose({ shape: outShape, data: ref.pool2d(kind, x.ref.data, g) }, [0, 3, 1, 2]);
          expectRef(f(xN, { ...opts, dataFormat: 'NCHW' }), y, 'float32');
        },
      });
      cases.push({
        name: `pool2dGrad ${kind} ${desc}`,
        run: () => {
          const x = input(c.x, 'float32', 1800 + k, c.layout);
          const dy = input(outShape, 'float32', 1850 + k, 'transposed');
          const params: Pool2dParams = {
            kind,
            batch: g.N,
            inH: g.H,
            inW: g.W,
            channels: g.C,
            outH: g.outH,
            outW: g.outW,
            kH: g.kH,
            kW: g.kW,
            strideH: g.sH,
            strideW: g.sW,
            padTop: g.padTop,
            padLeft: g.padLeft,
          };
          expectTensor(pool2dGrad(x.t, dy.t, params), c.x, 'float32', ref.pool2dGrad(kind, x.ref.data, dy.ref.data, g));
        },
      });
    }
  });
  cases.push(
    {
      name: "pooling on known values: 'same' padding never wins a max and is not counted by the average",
      run: () => {
        const x = T.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
        expectTensor(T.maxPool2d(x, { kernelSize: 2, padding: 'same' }), [1, 2, 2, 1], 'float32', [5, 6, 8, 9]);
        expectTensor(T.avgPool2d(x, { kernelSize: 2, padding: 'same' }), [1, 2, 2, 1], 'float32', [3, 4.5, 7.5, 9]);
        expectTensor(T.maxPool2d(T.neg(x), { kernelSize: 2, strides: 1 }), [1, 2, 2, 1], 'float32', [-1, -2, -4, -5]);
      },
    },
    {
      name: 'pooling errors: non-float32 and non-4-D input',
      run: () => {
        expect(() => T.maxPool2d(T.zeros([1, 4, 4, 1], 'int32'), { kernelSize: 2 })).toThrow(T.DTypeError);
        expect(() => T.avgPool2d(T.zeros([4, 4, 1]), { kernelSize: 2 })).toThrow(/avgPool2d.*4-D/);
        expect(() => T.maxPool2d(T.zeros([1, 2, 2, 1]), { kernelSize: 3 })).toThrow(T.ShapeError);
      },
    },
  );
  return cases;
}

// ---- dropout ----------------------------------------------------------------------

const DROPOUT: readonly Case[] = [
  ...[0.1, 0.3, 0.5, 0.8].map((p) => ({
    name: `dropout(${p}) over 10,000 elements: kept ≈ ${1 - p} (within 5σ), kept values x/(1-p), the rest 0`,
    run: () => {
      const n = 10_000;
      const xv = seededFor('float32', n, 77, 0.5, 2);
      afterRead([T.dropout(T.tensor(xv), p, { seed: 3 })], ([y]) => {
        let kept = 0;
        for (let i = 0; i < n; i++) {
          if (y[i] === 0) continue;
          kept++;
          expect(Math.abs(y[i] - xv[i] / (1 - p))).toBeLessThan(1e-5 * (1 + Math.abs(y[i])));
        }
        const sigma = Math.sqrt((p * (1 - p)) / n);
        expect(Math.abs(kept / n - (1 - p))).toBeLessThan(5 * sigma);
      });
    },
  })),
  {
    name: 'dropout with a seed: the same seed gives the same mask (also on another shape of the same size), another seed another',
    run: () => {
      const x = T.ones([40, 50]);
      const masks = [
        T.dropout(x, 0.5, { seed: 11 }),
        T.dropout(x, 0.5, { seed: 11 }),
        T.dropout(T.ones([2000]), 0.5, { seed: 11 }),
        T.dropout(x, 0.5, { seed: 12 }),
      ];
      afterRead(masks, ([a, again, otherShape, b]) => {
        expect(again).toEqual(a);
        expect(otherShape).toEqual(a);
        expect(b.filter((v, i) => v !== a[i]).length).toBeGreaterThan(500);
      });
    },
  },
  {
    name: 'dropout is the identity when training is false or rate is 0, and zero at rate 1',
    run: () => {
      const x = input([3, 4], 'float32', 78, 'transposed');
      expectRef(T.dropout(x.t, 0.5, { training: false }), x.ref, 'float32');
      expectRef(T.dropout(x.t, 0), x.ref, 'float32');
      expectTensor(T.dropout(x.t, 1), [3, 4], 'float32', new Array<number>(12).fill(0));
    },
  },
  {
    name: 'dropout rejects rates outside [0, 1]',
    run: () => {
      for (const p of [-0.1, 1.5, NaN]) expect(() => T.dropout(T.ones([2]), p)).toThrow(T.ArgumentError);
    },
  },
  {
    name: 'applyDropout on known noise: kept where noise ≥ rate (float32 compare), scaled by 1/(1 − rate); x · 0 elsewhere (NaN for ±Infinity, NaN)',
    run: () => {
      const x = T.tensor([1, -2, 3, 4, Infinity, NaN, Infinity]);
      const noise = T.tensor([0.1, 0.5, 0.2, 0.19999, 0.05, 0.1, 0.9]);
      expectTensor(applyDropout(x, noise, 0.2), [7], 'float32', [0, -2.5, 3.75, 0, NaN, NaN, Infinity]);
      // Noise broadcast over rows (one mask per column), an int32 x (the result is float32).
      expectTensor(
        applyDropout(
          T.tensor(
            [
              [1, 2],
              [3, 4],
            ],
            [2, 2],
            'int32',
          ),
          T.tensor([[0.9, 0.1]]),
          0.5,
        ),
        [2, 2],
        'float32',
        [2, 0, 6, 0],
      );
      expect(() => applyDropout(x, T.tensor([1, 2], [2], 'int32'), 0.5)).toThrow(T.DTypeError);
      expect(() => applyDropout(x, noise, 1)).toThrow(/applyDropout: rate must be in \[0, 1\), got 1/);
      expect(() => applyDropout(x, T.zeros([3]), 0.5)).toThrow(T.ShapeError);
    },
  },
];

export function registerNetwork(): void {
  registerCases('softmax and logSoftmax', softmaxCases());
  registerCases('conv2d and its gradients', convCases());
  registerCases('pooling and its gradient', poolCases());
  registerCases('dropout', DROPOUT);
}
