import { ShapeError, type Tensor, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { AvgPool2d, Conv2d, Flatten, MaxPool2d, init } from '../src/index';
import { det, detTensor, expectClose, gradCheck, prod, useCpu } from './helpers';

useCpu();

interface Geo {
  stride: [number, number];
  dilation: [number, number];
  pad: [number, number]; // top, left
  outH: number;
  outW: number;
}

/** float64 NCHW cross-correlation with PyTorch's [O, C, kH, kW] filter. */
function convRef(x: number[], xs: number[], w: number[], ws: number[], b: number[] | null, g: Geo): number[] {
  const [N, C, H, W] = xs;
  const [O, , kH, kW] = ws;
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let i = 0; i < g.outH; i++)
        for (let j = 0; j < g.outW; j++) {
          let s = b ? b[o] : 0;
          for (let c = 0; c < C; c++)
            for (let p = 0; p < kH; p++)
              for (let q = 0; q < kW; q++) {
                const h = i * g.stride[0] - g.pad[0] + p * g.dilation[0];
                const v = j * g.stride[1] - g.pad[1] + q * g.dilation[1];
                if (h < 0 || h >= H || v < 0 || v >= W) continue;
                s += x[((n * C + c) * H + h) * W + v] * w[((o * C + c) * kH + p) * kW + q];
              }
          out.push(s);
        }
  return out;
}

function nchwToNhwc(t: Tensor): Tensor {
  return t.transpose([0, 2, 3, 1]).contiguous();
}

describe('Conv2d', () => {
  const cases: { name: string; k: [number, number]; opts: ConstructorParameters<typeof Conv2d>[3]; geo: Geo }[] = [
    {
      name: '3x3, padding 1',
      k: [3, 3],
      opts: { padding: 1 },
      geo: { stride: [1, 1], dilation: [1, 1], pad: [1, 1], outH: 5, outW: 6 },
    },
    {
      name: '2x3, stride 2, valid',
      k: [2, 3],
      opts: { stride: 2 },
      geo: { stride: [2, 2], dilation: [1, 1], pad: [0, 0], outH: 2, outW: 2 },
    },
    {
      name: '3x3, same, dilation 2',
      k: [3, 3],
      opts: { padding: 'same', dilation: 2 },
      geo: { stride: [1, 1], dilation: [2, 2], pad: [2, 2], outH: 5, outW: 6 },
    },
    {
      name: '3x2, stride [2,1], padding [1,0], no bias',
      k: [3, 2],
      opts: { stride: [2, 1], padding: [1, 0], bias: false },
      geo: { stride: [2, 1], dilation: [1, 1], pad: [1, 0], outH: 3, outW: 5 },
    },
  ];

  for (const c of cases) {
    it(`NCHW forward matches a float64 reference: ${c.name}`, () => {
      const conv = new Conv2d(2, 3, c.k, { ...c.opts, seed: 5 });
      expect(conv.weight.shape).toEqual([3, 2, ...c.k]);
      const xs = [2, 2, 5, 6];
      const x = detTensor(xs, 11);
      const y = conv.call(x);
      expect(y.shape).toEqual([2, 3, c.geo.outH, c.geo.outW]);
      const ref = convRef(
        Array.from(x.dataSync()),
        xs,
        Array.from(conv.weight.dataSync()),
        conv.weight.shape as number[],
        conv.bias ? Array.from(conv.bias.dataSync()) : null,
        c.geo,
      );
      expectClose(y, ref, 1e-5, 1e-5);
      x.dispose();
      y.dispose();
      conv.dispose();
    });
  }

  it('NHWC stores the filter [kH, kW, C, O] and agrees with NCHW', () => {
    const a = new Conv2d(2, 3, 3, { padding: 'same', seed: 2 });
    const b = new Conv2d(2, 3, 3, { padding: 'same', dataFormat: 'NHWC', seed: 3 });
    expect(b.weight.shape).toEqual([3, 3, 2, 3]);
    tidy(() => {
      b.loadStateDict({ weight: a.weight.transpose([2, 3, 1, 0]).contiguous(), bias: a.bias as Tensor });
    });
    const x = detTensor([1, 2, 4, 5], 4);
    const ya = a.call(x);
    const xh = nchwToNhwc(x);
    const yb = b.call(xh);
    expect(yb.shape).toEqual([1, 4, 5, 3]);
    const ybT = nchwToNhwc(ya);
    expectClose(yb, Array.from(ybT.dataSync()), 1e-5);
    for (const t of [x, ya, xh, yb, ybT]) t.dispose();
    a.dispose();
    b.dispose();
  });

  it('accepts an unbatched [C, H, W] image', () => {
    const conv = new Conv2d(1, 2, 2, { seed: 0 });
    const x = detTensor([1, 3, 3]);
    const y = conv.call(x);
    expect(y.shape).toEqual([2, 2, 2]);
    const x4 = x.unsqueeze(0);
    const y4 = conv.call(x4);
    expectClose(y, Array.from(y4.dataSync()));
    for (const t of [x, y, x4, y4]) t.dispose();
    conv.dispose();
  });

  it('gradients w.r.t. input, weight and bias match finite differences (NCHW and NHWC)', () => {
    for (const dataFormat of ['NCHW', 'NHWC'] as const) {
      const conv = new Conv2d(2, 3, 3, { padding: 1, stride: [1, 2], seed: 7, dataFormat });
      const x = detTensor(dataFormat === 'NCHW' ? [2, 2, 4, 4] : [2, 4, 4, 2], 5);
      x.requiresGrad = true;
      gradCheck(() => conv.call(x), [x, conv.weight, conv.bias as Tensor]);
      x.dispose();
      conv.dispose();
    }
  });

  it('default init: U(±1/√fanIn) with fanIn = C·kH·kW in both layouts', () => {
    for (const dataFormat of ['NCHW', 'NHWC'] as const) {
      const conv = new Conv2d(4, 64, 5, { dataFormat, seed: 1 });
      const bound = 1 / Math.sqrt(4 * 25);
      const w = Array.from(conv.weight.dataSync());
      expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(bound * 0.98);
      const b = Array.from((conv.bias as Tensor).dataSync());
      expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(bound);
      conv.dispose();
    }
    const layouts: unknown[] = [];
    const c = new Conv2d(1, 1, 1, {
      dataFormat: 'NHWC',
      weightInit: (s, o) => (layouts.push(o.layout), init.zeros(s)),
    });
    expect(layouts).toEqual(['inOut']);
    c.dispose();
  });

  it('rejects inputs with the wrong channel count or rank', () => {
    const conv = new Conv2d(3, 2, 3);
    const x = detTensor([1, 2, 5, 5]);
    expect(() => conv.call(x)).toThrow(ShapeError);
    expect(() => conv.call(x)).toThrow(/Conv2d.*C = 3.*\[1,2,5,5\]/);
    x.dispose();
    conv.dispose();
  });
});

describe('MaxPool2d / AvgPool2d', () => {
  const x16 = [1, 5, 2, 0, 3, 4, 8, 7, -1, -2, 6, 9, 10, 11, 12, -3];

  it('MaxPool2d: 2x2 windows, stride defaults to the kernel size', () => {
    const x = tensor(x16, [1, 1, 4, 4]);
    const y = new MaxPool2d(2).call(x);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expectClose(y, [5, 8, 11, 12]);
    const y2 = new MaxPool2d(3, { stride: 1 }).call(x);
    expectClose(y2, [8, 9, 12, 12]);
    const y3 = new MaxPool2d(2, { padding: 1 }).call(x);
    expect(y3.shape).toEqual([1, 1, 3, 3]);
    expectClose(y3, [1, 5, 0, 3, 8, 9, 10, 12, -3]);
    for (const t of [x, y, y2, y3]) t.dispose();
  });

  it('AvgPool2d counts zero padding by default (PyTorch) and not with countIncludePad false', () => {
    const x = tensor(x16, [1, 1, 4, 4]);
    const y = new AvgPool2d(2).call(x);
    expectClose(y, [13 / 4, 17 / 4, 18 / 4, 24 / 4]);
    const inc = new AvgPool2d(2, { padding: 1 }).call(x);
    expectClose(inc, [1 / 4, 7 / 4, 0 / 4, 2 / 4, 16 / 4, 16 / 4, 10 / 4, 23 / 4, -3 / 4]);
    const exc = new AvgPool2d(2, { padding: 1, countIncludePad: false }).call(x);
    expectClose(exc, [1, 7 / 2, 0, 2 / 2, 16 / 4, 16 / 2, 10, 23 / 2, -3]);
    for (const t of [x, y, inc, exc]) t.dispose();
  });

  it('NHWC pooling agrees with NCHW', () => {
    const x = detTensor([2, 3, 4, 6], 9);
    const xh = nchwToNhwc(x);
    for (const [a, b] of [
      [new MaxPool2d(2), new MaxPool2d(2, { dataFormat: 'NHWC' })],
      [new AvgPool2d([2, 3], { padding: 1 }), new AvgPool2d([2, 3], { padding: 1, dataFormat: 'NHWC' })],
    ] as const) {
      const ya = a.call(x);
      const yb = b.call(xh);
      const yaT = nchwToNhwc(ya);
      expectClose(yb, Array.from(yaT.dataSync()));
      for (const t of [ya, yb, yaT]) t.dispose();
    }
    x.dispose();
    xh.dispose();
  });

  it('pooling gradients match finite differences', () => {
    // Distinct values (no ties), so max pooling is differentiable at x.
    const vals = det(2 * 2 * 4 * 4, 3).map((v, i) => v + i * 0.05);
    const x = tensor(vals, [2, 2, 4, 4]);
    x.requiresGrad = true;
    gradCheck(() => new MaxPool2d(2, { stride: 1 }).call(x), [x], { eps: 1e-3 });
    gradCheck(() => new AvgPool2d(3, { stride: 1, padding: 1 }).call(x), [x]);
    gradCheck(() => new AvgPool2d(3, { stride: 1, padding: 1, countIncludePad: false }).call(x), [x]);
    x.dispose();
  });
});

describe('Flatten', () => {
  it('flattens all but the batch axis by default', () => {
    const x = detTensor([2, 3, 4, 5]);
    const y = new Flatten().call(x);
    expect(y.shape).toEqual([2, 60]);
    expectClose(y, Array.from(x.dataSync()));
    const z = new Flatten(1, 2).call(x);
    expect(z.shape).toEqual([2, 12, 5]);
    const x2 = detTensor([2, 3, 4]);
    x2.requiresGrad = true;
    gradCheck(() => new Flatten().call(x2.transpose([0, 2, 1])), [x2]);
    expect(prod(y.shape)).toBe(120);
    for (const t of [x, y, z, x2]) t.dispose();
  });
});
