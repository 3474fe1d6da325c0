import * as T from '@tsdl/tensor';
import type { Tensor } from '@tsdl/tensor';
import { type AccelerationName, type Conv2dParams, E, type Pool2dParams, lowerings } from '@tsdl/tensor/backend';
import {
  conv2dGradFilter,
  conv2dGradInput,
  pool2dGrad,
  runElementwiseGroups,
  softmaxCrossEntropyGrad,
  layerNormGrad,
} from '@tsdl/tensor/internal';
import { expectAllClose } from '@tsdl/test-utils';
import { expect } from 'vitest';
import { type Case, afterRead, afterReadRejects, fmt, registerCases, seededFor } from './harness';

/**
 * Every acceleration the backend implements against its reference lowering (tensor's
 * lowerings/), on the same inputs and the same backend: the op (which takes the
 * backend's kernel) and `lowerings[name]` must agree, NaN for NaN, up to float32
 * rounding. A backend with no accelerations (the reference backend) registers none:
 * the rest of the suite runs every op through the lowerings there.
 */

const TOL = { atol: 1e-4, rtol: 1e-4 };
const EXACT = { atol: 0, rtol: 0 };

/** Records that `got` and `want` read the same values (shapes checked now). */
function same(got: Tensor, want: Tensor, what: string, tol = TOL): void {
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  afterRead([got, want], ([g, w]) => expectAllClose(g, w, tol, what));
}

function values(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor {
  return T.tensor(
    seededFor(
      'float32',
      shape.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
    shape,
  );
}

/** An NCHW storage viewed as NHWC: a non-contiguous input. */
function nchwView(shape: readonly number[], seed: number): Tensor {
  const [n, h, w, c] = shape;
  return T.transpose(values([n, c, h, w], seed), [0, 2, 3, 1]);
}

interface ConvSpec {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outC: number;
  kH: number;
  kW: number;
  stride?: [number, number];
  dilation?: [number, number];
  pads?: [[number, number], [number, number]];
}

function convGeometry(s: ConvSpec): Conv2dParams {
  const [strideH, strideW] = s.stride ?? [1, 1];
  const [dilationH, dilationW] = s.dilation ?? [1, 1];
  const [[padTop, bottom], [padLeft, right]] = s.pads ?? [
    [0, 0],
    [0, 0],
  ];
  const out = (size: number, k: number, d: number, st: number, before: number, after: number) =>
    Math.floor((size + before + after - ((k - 1) * d + 1)) / st) + 1;
  return {
    batch: s.batch,
    inH: s.inH,
    inW: s.inW,
    inC: s.inC,
    outC: s.outC,
    kH: s.kH,
    kW: s.kW,
    strideH,
    strideW,
    dilationH,
    dilationW,
    padTop,
    padLeft,
    outH: out(s.inH, s.kH, dilationH, strideH, padTop, bottom),
    outW: out(s.inW, s.kW, dilationW, strideW, padLeft, right),
  };
}

const CONVS: [string, ConvSpec][] = [
  ['3x3', { batch: 2, inH: 6, inW: 5, inC: 3, outC: 4, kH: 3, kW: 3 }],
  [
    '3x3 padding 1',
    {
      batch: 1,
      inH: 5,
      inW: 5,
      inC: 2,
      outC: 3,
      kH: 3,
      kW: 3,
      pads: [
        [1, 1],
        [1, 1],
      ],
    },
  ],
  [
    '2x3 stride 2x1, uneven padding',
    {
      batch: 2,
      inH: 7,
      inW: 6,
      inC: 3,
      outC: 5,
      kH: 2,
      kW: 3,
      stride: [2, 1],
      pads: [
        [1, 0],
        [1, 2],
      ],
    },
  ],
  [
    '3x3 dilation 2 stride 2, rows no window reads',
    { batch: 1, inH: 10, inW: 8, inC: 2, outC: 2, kH: 3, kW: 3, dilation: [2, 2], stride: [2, 2] },
  ],
  ['1x1, many channels', { batch: 3, inH: 4, inW: 4, inC: 17, outC: 6, kH: 1, kW: 1 }],
];

function convCases(has: ReadonlySet<AccelerationName>): Case[] {
  const cases: Case[] = [];
  for (const [name, spec] of CONVS) {
    const p = convGeometry(spec);
    const xShape = [p.batch, p.inH, p.inW, p.inC];
    const wShape = [p.kH, p.kW, p.inC, p.outC];
    const yShape = [p.batch, p.outH, p.outW, p.outC];
    for (const layout of ['contiguous', 'NCHW view'] as const) {
      const x = () => (layout === 'contiguous' ? values(xShape, 1) : nchwView(xShape, 1));
      if (has.has('conv2d')) {
        cases.push({
          name: `conv2d ${name}, ${layout} input`,
          run: () => {
            const xt = x();
            const w = values(wShape, 2);
            const options = {
              strides: [p.strideH, p.strideW] as [number, number],
              dilations: [p.dilationH, p.dilationW] as [number, number],
              padding: spec.pads ?? ('valid' as const),
            };
            same(T.conv2d(xt, w, options), lowerings.conv2d(xt, w, p), 'conv2d');
          },
        });
      }
      if (has.has('conv2dGradInput') && layout === 'contiguous') {
        cases.push({
          name: `conv2dGradInput ${name}`,
          run: () => {
            const dy = values(yShape, 3);
            const w = values(wShape, 2);
            same(conv2dGradInput(dy, w, p), lowerings.conv2dGradInput(dy, w, p), 'conv2dGradInput');
          },
        });
      }
      if (has.has('conv2dGradFilter')) {
        cases.push({
          name: `conv2dGradFilter ${name}, ${layout} input`,
          run: () => {
            const xt = x();
            const dy = values(yShape, 3);
            same(conv2dGradFilter(xt, dy, p), lowerings.conv2dGradFilter(xt, dy, p), 'conv2dGradFilter');
          },
        });
      }
    }
  }
  return cases;
}

function poolGeometry(
  kind: 'max' | 'avg',
  batch: number,
  inH: number,
  inW: number,
  channels: number,
  k: [number, number],
  stride: [number, number],
  pads: [[number, number], [number, number]],
): Pool2dParams {
  const out = (size: number, kk: number, st: number, [b, a]: [number, number]) =>
    Math.floor((size + b + a - kk) / st) + 1;
  return {
    kind,
    batch,
    inH,
    inW,
    channels,
    kH: k[0],
    kW: k[1],
    strideH: stride[0],
    strideW: stride[1],
    padTop: pads[0][0],
    padLeft: pads[1][0],
    outH: out(inH, k[0], stride[0], pads[0]),
    outW: out(inW, k[1], stride[1], pads[1]),
  };
}

const POOLS: [
  string,
  number,
  number,
  number,
  number,
  [number, number],
  [number, number],
  [[number, number], [number, number]],
][] = [
  [
    '2x2 stride 2',
    2,
    6,
    6,
    3,
    [2, 2],
    [2, 2],
    [
      [0, 0],
      [0, 0],
    ],
  ],
  [
    '3x3 stride 1 padding 1',
    1,
    5,
    4,
    2,
    [3, 3],
    [1, 1],
    [
      [1, 1],
      [1, 1],
    ],
  ],
  [
    '3x2 stride 2x1, overlapping, uneven padding',
    2,
    7,
    5,
    4,
    [3, 2],
    [2, 1],
    [
      [1, 2],
      [0, 1],
    ],
  ],
];

function poolCases(has: ReadonlySet<AccelerationName>): Case[] {
  const cases: Case[] = [];
  for (const kind of ['max', 'avg'] as const) {
    for (const [name, n, h, w, c, k, stride, pads] of POOLS) {
      const p = poolGeometry(kind, n, h, w, c, k, stride, pads);
      const xShape = [n, h, w, c];
      // Rounded values make ties: the max gradient's "first maximum" is compared too.
      const x = () => T.tensor(seededFor('float32', n * h * w * c, 4, -3, 3).map(Math.round), xShape);
      const dy = () => values([n, p.outH, p.outW, c], 5);
      const options = { kernelSize: k, strides: stride, padding: pads };
      if (has.has('pool2d')) {
        cases.push({
          name: `pool2d ${kind} ${name}`,
          run: () => {
            const xt = x();
            same(
              kind === 'max' ? T.maxPool2d(xt, options) : T.avgPool2d(xt, options),
              lowerings.pool2d(xt, p),
              'pool2d',
            );
          },
        });
      }
      if (has.has('pool2dGrad')) {
        cases.push({
          name: `pool2dGrad ${kind} ${name}`,
          run: () => {
            const xt = x();
            const d = dy();
            same(pool2dGrad(xt, d, p), lowerings.pool2dGrad(xt, d, p), 'pool2dGrad', { atol: 1e-6, rtol: 1e-6 });
          },
        });
      }
    }
  }
  // NaN and −Infinity in max windows: NaN propagates forward; the gradient goes where a scan in window order keeps it.
  const p = poolGeometry(
    'max',
    1,
    2,
    8,
    1,
    [2, 2],
    [2, 2],
    [
      [0, 0],
      [0, 0],
    ],
  );
  // Windows: a NaN after a kept 1 (3 wins), −Infinity only (no gradient), a NaN before 7 (the NaN wins), a NaN first.
  const special = [
    1,
    NaN,
    -Infinity,
    -Infinity,
    -Infinity,
    NaN,
    NaN,
    3,
    NaN,
    3,
    -Infinity,
    -Infinity,
    -Infinity,
    7,
    1,
    NaN,
  ];
  if (has.has('pool2d')) {
    cases.push({
      name: 'pool2d max, NaN and −Infinity windows',
      run: () => {
        const x = T.tensor(special, [1, 2, 8, 1]);
        same(T.maxPool2d(x, { kernelSize: 2 }), lowerings.pool2d(x, p), 'pool2d', EXACT);
      },
    });
  }
  if (has.has('pool2dGrad')) {
    cases.push({
      name: 'pool2dGrad max, NaN and −Infinity windows',
      run: () => {
        const x = T.tensor(special, [1, 2, 8, 1]);
        const dy = T.tensor([10, 20, 30, 40], [1, 1, 4, 1]);
        same(pool2dGrad(x, dy, p), lowerings.pool2dGrad(x, dy, p), 'pool2dGrad', EXACT);
      },
    });
  }
  return cases;
}

function softmaxCases(): Case[] {
  const rows: [string, () => Tensor][] = [
    ['[4,10]', () => values([4, 10], 6, -5, 5)],
    ['[3,1000] of ±20', () => values([3, 1000], 7, -20, 20)],
    [
      '±1000, −Infinity, +Infinity and NaN rows',
      () => T.tensor([1000, -1000, 0, -Infinity, -Infinity, -Infinity, 1, Infinity, 1, 2, NaN, 0], [4, 3]),
    ],
    ['a transposed view [4,3]', () => T.transpose(values([3, 4], 8))],
    ['[2,0]', () => T.zeros([2, 0])],
  ];
  return rows.flatMap(([name, make]) =>
    [false, true].map((log) => ({
      name: `${log ? 'logSoftmax' : 'softmax'} ${name}`,
      run: () => {
        const x = make();
        same(log ? T.logSoftmax(x) : T.softmax(x), lowerings.softmax(x, log), 'softmax', { atol: 1e-6, rtol: 1e-5 });
      },
    })),
  );
}

function crossEntropyCases(has: ReadonlySet<AccelerationName>): Case[] {
  const cases: Case[] = [];
  for (const sparse of [true, false]) {
    for (const [n, c, scale] of [
      [5, 7, 1],
      [5, 7, 3333],
      [3, 130, 1],
      [0, 4, 1],
    ] as const) {
      const setup = () => {
        const x = T.mul(values([n, c], 9, -3, 3), scale);
        const ids = seededFor('float32', n, 10, 0, c).map((v) => Math.min(c - 1, Math.floor(v)));
        const y = sparse ? T.tensor(ids, [n], 'int32') : T.softmax(values([n, c], 11));
        return { x, y, dy: values([n], 12) };
      };
      const what = `${sparse ? 'index' : 'probability'} labels ${fmt([n, c])}${scale > 1 ? ' large' : ''}`;
      if (has.has('softmaxCrossEntropy')) {
        cases.push({
          name: `softmaxCrossEntropy ${what}`,
          run: () => {
            const { x, y } = setup();
            same(T.softmaxCrossEntropy(x, y), lowerings.softmaxCrossEntropy(x, y, sparse), 'loss', {
              atol: 1e-3 * scale,
              rtol: 1e-4,
            });
          },
        });
      }
      if (has.has('softmaxCrossEntropyGrad')) {
        cases.push({
          name: `softmaxCrossEntropyGrad ${what}`,
          run: () => {
            const { x, y, dy } = setup();
            same(softmaxCrossEntropyGrad(x, y, dy), lowerings.softmaxCrossEntropyGrad(x, y, dy, sparse), 'gradient', {
              atol: 1e-6,
              rtol: 1e-4,
            });
          },
        });
      }
    }
  }
  return cases;
}

function layerNormCases(has: ReadonlySet<AccelerationName>): Case[] {
  const cases: Case[] = [];
  for (const [shape, affine, lo, hi] of [
    [[6, 32], true, -3, 3],
    [[3, 130], false, -3, 3],
    [[4, 16], true, 999, 1001],
    [[0, 8], true, -1, 1],
  ] as const) {
    const [n, d] = shape;
    const setup = () => ({
      x: values([n, d], 40, lo, hi),
      gamma: affine ? values([d], 41, 0.5, 1.5) : null,
      beta: affine ? values([d], 42) : null,
      dy: values([n, d], 43),
    });
    // Rows near 1e3 hold their deviations to float32's 6e-5 spacing: compare at that scale.
    const tol = { atol: lo > 100 ? 1e-3 : 1e-4, rtol: 1e-4 };
    const what = `${fmt([n, d])}${affine ? ' with gamma and beta' : ''}${lo > 100 ? ' near 1e3' : ''}`;
    if (has.has('layerNorm')) {
      cases.push({
        name: `layerNorm ${what}`,
        run: () => {
          const { x, gamma, beta } = setup();
          same(T.layerNorm(x, d, { gamma, beta }), lowerings.layerNorm(x, gamma, beta, 1e-5), 'y', tol);
        },
      });
    }
    if (has.has('layerNormGrad')) {
      cases.push({
        name: `layerNormGrad ${what}`,
        run: () => {
          const { x, gamma, dy } = setup();
          const got = layerNormGrad(x, gamma, dy, 1e-5);
          const want = lowerings.layerNormGrad(x, gamma, dy, 1e-5);
          ['dx', 'dgamma', 'dbeta'].forEach((w, i) => same(got[i], want[i], w, tol));
        },
      });
    }
  }
  return cases;
}

function groupsCases(): Case[] {
  // An SGD-with-momentum-like update: two outputs per group, its own scalars each.
  const exprs = [E.sub(E.in(0), E.mul(E.s(0), E.in(1))), E.add(E.mul(E.in(1), E.s(1)), E.in(0))];
  return [
    {
      name: 'elementwiseGroups over groups of several shapes',
      run: () => {
        const shapes = [[3, 4], [7], [2, 2, 5]];
        const groups = shapes.map((s, i) => ({
          inputs: [values(s, 20 + i), values(s, 30 + i)],
          scalars: [0.1 * (i + 1), 0.9 - 0.1 * i],
          shape: s,
        }));
        const b = T.getBackend();
        const got = runElementwiseGroups(b, exprs, groups, '');
        const want = lowerings.elementwiseGroups(b, exprs, groups, ['float32', 'float32'], '');
        got.forEach((outs, g) =>
          outs.forEach((t, k) => same(t, want[g][k], `group ${g} output ${k}`, { atol: 1e-6, rtol: 1e-6 })),
        );
      },
    },
  ];
}

/** checkIndices and its lowering report the same bad index (a backend without readSync: at the next read). */
function checkIndicesCases(): Case[] {
  const rejectsNaming = (op: string, range: string) => (e: unknown) => {
    expect(e).toBeInstanceOf(T.ArgumentError);
    expect((e as Error).message).toMatch(new RegExp(`^${op}: .*${range.replace(/[[\]()]/g, '\\$&')}`));
  };
  // Computed on the device, so the host knows neither their range nor their values.
  const device = (v: number[]) => T.add(T.tensor(v, [v.length], 'int32'), T.zeros([v.length], 'int32'));
  const check = (lowered: boolean, indices: Tensor, size: number, op: string, ignore?: number) =>
    lowered
      ? lowerings.checkIndices(indices, size, op, ignore)
      : T.getBackend().checkIndices?.(indices.view(), size, op, ignore);
  return [
    ...[false, true].map((lowered) => ({
      name: `checkIndices${lowered ? ', lowered' : ''}: a bad index is reported by the next read, naming the op and the range, once`,
      run: () => {
        check(lowered, device([0, 2, 5, 1]), 3, 'someOp');
        afterReadRejects(T.zeros([1]), rejectsNaming('someOp', '[0, 3)'));
        afterRead([T.ones([2])], ([v]) => expect(v).toEqual([1, 1]));
      },
    })),
    {
      name: 'checkIndices: indices in range, or equal to the allowed ignore value, report nothing',
      run: () => {
        const ok = device([0, 2, -100, 1]);
        check(false, ok, 3, 'someOp', -100);
        check(true, ok, 3, 'someOp', -100);
        afterRead([T.ones([2])], ([v]) => expect(v).toEqual([1, 1]));
      },
    },
  ];
}

/** Registers the comparisons for the accelerations `has` lists (what the backend implements). */
export function registerAccelerations(has: ReadonlySet<AccelerationName>, sync: boolean): void {
  const cases = [
    ...convCases(has),
    ...poolCases(has),
    ...(has.has('softmax') ? softmaxCases() : []),
    ...crossEntropyCases(has),
    ...layerNormCases(has),
    ...(has.has('elementwiseGroups') ? groupsCases() : []),
    // The frontend calls checkIndices only where it cannot read indices itself.
    ...(has.has('checkIndices') && !sync ? checkIndicesCases() : []),
  ];
  if (cases.length > 0) registerCases('accelerations against their lowerings', cases);
}
