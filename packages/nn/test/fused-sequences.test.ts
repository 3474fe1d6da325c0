import { backward, grad } from '@tsdl/autograd';
import { type Tensor, dispose, memory, mul, sum, tensor, tidy } from '@tsdl/tensor';
import { opsBehind } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../src/index';
import { useFusedSequences } from '../src/layers/recurrent/base';
import { gruSequence } from '../src/layers/recurrent/fused/gru-sequence';
import { gruV1Sequence } from '../src/layers/recurrent/fused/gru-v1-sequence';
import { lstmSequence } from '../src/layers/recurrent/fused/lstm-sequence';
import { rnnSequence } from '../src/layers/recurrent/fused/rnn-sequence';
import { detTensor, expectClose, gradCheck, leaf, det, prod, useCpu } from './helpers';

useCpu();

/**
 * nn's LSTM, GRU and RNN (tanh or relu) run each layer and direction as one fused op (fused/); with
 * useFusedSequences(false) they step op by op as before. Both must give the same outputs, final
 * states and gradients for the input, the initial states and every parameter; the ops
 * themselves are checked against finite differences, known values and a second-order graph.
 */

type Kind = 'lstm' | 'gru' | 'rnn' | 'rnn relu';
type Config = {
  numLayers?: number;
  bidirectional?: boolean;
  batchFirst?: boolean;
  bias?: boolean;
  lengths?: number[];
  h0?: boolean;
  unbatched?: boolean;
  /** Time steps (default 5). */
  steps?: number;
};

const OPS: Record<Kind, string> = {
  lstm: '@tsdl/nn:lstmSequence',
  gru: '@tsdl/nn:gruSequence',
  rnn: '@tsdl/nn:rnnSequence',
  'rnn relu': '@tsdl/nn:rnnSequence',
};

function makeModule(kind: Kind, c: Config): LSTM | GRU | RNN {
  const o = { numLayers: c.numLayers, bidirectional: c.bidirectional, batchFirst: c.batchFirst, bias: c.bias, seed: 3 };
  if (kind === 'lstm') return new LSTM(4, 3, o);
  if (kind === 'gru') return new GRU(4, 3, o);
  return new RNN(4, 3, kind === 'rnn relu' ? { ...o, nonlinearity: 'relu' } : o);
}

/** Outputs, then gradients of a weighted sum of them w.r.t. the input, the initial states and every parameter. */
function runModule(kind: Kind, m: LSTM | GRU | RNN, c: Config, fused: boolean): Float32Array[] {
  const prev = useFusedSequences(fused);
  try {
    const B = 3;
    const T = c.steps ?? 5;
    const L = (c.numLayers ?? 1) * (c.bidirectional ? 2 : 1);
    const x = detTensor(c.unbatched ? [T, 4] : c.batchFirst ? [B, T, 4] : [T, B, 4], 1);
    const sShape = c.unbatched ? [L, 3] : [L, B, 3];
    const h0 = detTensor(sShape, 2, 0.5);
    const c0 = detTensor(sShape, 3, 0.5);
    for (const t of [x, h0, c0]) t.requiresGrad = true;
    const got: Float32Array[] = [];
    tidy(() => {
      const opts = c.lengths ? { lengths: c.lengths } : undefined;
      let outs: Tensor[];
      if (kind === 'lstm') {
        const [y, [hN, cN]] = (m as LSTM).call(x, c.h0 ? [h0, c0] : null, opts);
        outs = [y, hN, cN];
      } else {
        const [y, hN] = (m as GRU).call(x, c.h0 ? h0 : null, opts);
        outs = [y, hN];
      }
      expect(opsBehind(outs[0]).has(OPS[kind])).toBe(fused);
      for (const o of outs) got.push(o.dataSync().slice() as Float32Array);
      const loss = outs
        .map((o, k) => sum(mul(o, tensor(det(prod(o.shape), 40 + k), o.shape))))
        .reduce((a, b) => a.add(b));
      backward(loss);
    });
    const leaves = [x, ...(c.h0 ? (kind === 'lstm' ? [h0, c0] : [h0]) : []), ...m.parameters()];
    for (const l of leaves) {
      expect(l.grad, 'a gradient for every leaf').not.toBeNull();
      got.push((l.grad as Tensor).dataSync().slice() as Float32Array);
    }
    for (const t of [x, h0, c0, ...m.parameters()]) t.zeroGrad();
    dispose([x, h0, c0]);
    return got;
  } finally {
    useFusedSequences(prev);
  }
}

const CONFIGS: Config[] = [
  {},
  { numLayers: 2, bidirectional: true, lengths: [4, 2, 5], h0: true },
  { batchFirst: true, bias: false, h0: true },
  { bidirectional: true, batchFirst: true, lengths: [5, 1, 3] },
  { unbatched: true, h0: true },
  { steps: 1, bidirectional: true, h0: true },
];

describe.each(['lstm', 'gru', 'rnn', 'rnn relu'] as Kind[])('nn %s: fused sequence against the step loop', (kind) => {
  it.each(CONFIGS.map((c) => [c]))('%j: outputs, states and every gradient agree', (c) => {
    const m = makeModule(kind, c);
    const before = memory().numTensors;
    const a = runModule(kind, m, c, true);
    const b = runModule(kind, m, c, false);
    expect(memory().numTensors).toBe(before);
    expect(a.length).toBe(b.length);
    a.forEach((v, k) => expectClose(v, b[k], 1e-6, 1e-5));
    m.dispose();
  });
});

describe("nn recurrent modules at SIMD sizes (16 units): the forward is the loop's bit for bit", () => {
  // Small blocks (< 8 elements a row) run the CPU's JavaScript kernels, which round a fused
  // expression once (in float64) where the loop rounds each op: there the two differ by an ulp.
  it.each([
    ['LSTM', () => new LSTM(8, 16, { seed: 1, bidirectional: true })],
    ['GRU', () => new GRU(8, 16, { seed: 1, numLayers: 2 })],
    ['RNN', () => new RNN(8, 16, { seed: 1 })],
    ['RNN relu', () => new RNN(8, 16, { seed: 1, nonlinearity: 'relu' })],
  ] as [string, () => LSTM | GRU | RNN][])('%s', (_, make) => {
    const m = make();
    const x = detTensor([6, 4, 8], 3);
    const outputs = (fused: boolean): number[][] => {
      const prev = useFusedSequences(fused);
      try {
        return tidy(() => {
          const [y, s] = m.call(x, null, { lengths: [6, 3, 5, 6] }) as [Tensor, Tensor | Tensor[]];
          return [y, ...(Array.isArray(s) ? s : [s])].map((t) => Array.from(t.dataSync()));
        });
      } finally {
        useFusedSequences(prev);
      }
    };
    const a = outputs(true);
    expect(a).toEqual(outputs(false));
    expect(a[0].some((v) => v !== 0)).toBe(true);
    x.dispose();
    m.dispose();
  });
});

describe('nn recurrent modules: the fused path keeps the loop where it has no op', () => {
  it('LSTM with projSize steps op by op', () => {
    const x = detTensor([3, 2, 4], 5);
    x.requiresGrad = true;
    for (const m of [new LSTM(4, 3, { projSize: 2 })]) {
      tidy(() => {
        const ops = opsBehind((m.call(x) as [Tensor, unknown])[0]);
        expect([...ops].some((o) => o.startsWith('@tsdl/nn:'))).toBe(false);
        expect(ops.has('matmul')).toBe(true);
      });
      m.dispose();
    }
    x.dispose();
  });

  it('an error in a call (bad lengths, bad h0) leaves memory as it was', () => {
    const m = new GRU(4, 3, { bidirectional: true });
    const x = detTensor([5, 2, 4], 6);
    const before = memory().numTensors;
    expect(() => m.call(x, null, { lengths: [6, 2] })).toThrow(/lengths\[0\] is 6/);
    const bad = detTensor([1, 2, 3], 7);
    expect(() => m.call(x, bad)).toThrow(/h0 has shape/);
    bad.dispose();
    expect(memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });
});

/** The three ops on common inputs: xw [B, T, G] (or time-major), U, h0 (and c0, b). */
function opCases(): {
  name: string;
  f: (xs: Tensor[], mask: Tensor | null, o: object) => Tensor;
  shapes: number[][];
  /** Piecewise linear in xw (relu): its gradient is piecewise constant, so there is no second-order graph. */
  piecewiseLinear?: boolean;
}[] {
  const B = 2;
  const T = 3;
  const u = 2;
  return [
    {
      name: 'lstm',
      f: (xs, m, o) => lstmSequence(xs[0], xs[1], xs[2], xs[3], m, o),
      shapes: [
        [B, T, 4 * u],
        [u, 4 * u],
        [B, u],
        [B, u],
      ],
    },
    {
      name: 'gru (Keras order, bias)',
      f: (xs, m, o) => gruSequence(xs[0], xs[1], xs[2], xs[3], m, o),
      shapes: [[B, T, 3 * u], [u, 3 * u], [B, u], [3 * u]],
    },
    {
      name: 'gru (PyTorch order, no bias)',
      f: (xs, m, o) => gruSequence(xs[0], xs[1], xs[2], null, m, { ...o, zFirst: false }),
      shapes: [
        [B, T, 3 * u],
        [u, 3 * u],
        [B, u],
      ],
    },
    {
      name: 'gru, reset before the product (Keras resetAfter false)',
      f: (xs, m, o) => gruV1Sequence(xs[0], xs[1], xs[2], m, o),
      shapes: [
        [B, T, 3 * u],
        [u, 3 * u],
        [B, u],
      ],
    },
    {
      name: 'rnn',
      f: (xs, m, o) => rnnSequence(xs[0], xs[1], xs[2], m, o),
      shapes: [
        [B, T, u],
        [u, u],
        [B, u],
      ],
    },
    {
      name: 'rnn relu',
      f: (xs, m, o) => rnnSequence(xs[0], xs[1], xs[2], m, { ...o, activation: 'relu' }),
      shapes: [
        [B, T, u],
        [u, u],
        [B, u],
      ],
      piecewiseLinear: true,
    },
    // Hard-sigmoid gates (Keras 2's and TF.js' default, slope 0.2): these inputs keep them on the slope.
    {
      name: 'lstm, hard-sigmoid gates',
      f: (xs, m, o) => lstmSequence(xs[0], xs[1], xs[2], xs[3], m, { ...o, gate: 0.2 }),
      shapes: [
        [B, T, 4 * u],
        [u, 4 * u],
        [B, u],
        [B, u],
      ],
    },
    {
      name: 'gru, hard-sigmoid gates',
      f: (xs, m, o) => gruSequence(xs[0], xs[1], xs[2], xs[3], m, { ...o, gate: 0.2 }),
      shapes: [[B, T, 3 * u], [u, 3 * u], [B, u], [3 * u]],
    },
    {
      name: 'gru, reset before the product, hard-sigmoid gates',
      f: (xs, m, o) => gruV1Sequence(xs[0], xs[1], xs[2], m, { ...o, gate: 0.2 }),
      shapes: [
        [B, T, 3 * u],
        [u, 3 * u],
        [B, u],
      ],
    },
  ];
}

describe('the fused sequence ops', () => {
  const mask = (): Tensor => tensor([true, false, true, false, true, true], [2, 3], 'bool');
  for (const { name, f, shapes } of opCases()) {
    it.each([
      ['batch-major', {}, false],
      ['masked, reversed', { reverse: true }, true],
      ['time-major, masked', { timeMajor: true }, true],
    ] as [string, object, boolean][])(
      `${name}, %s: finite-difference gradients of the whole trace for every input`,
      (_, o, masked) => {
        const tm = (o as { timeMajor?: boolean }).timeMajor;
        const xs = shapes.map((s, k) => {
          const shape = k === 0 && tm ? [s[1], s[0], s[2]] : s;
          const t = detTensor(shape, 10 + k, k === 1 ? 0.7 : 1);
          t.requiresGrad = true;
          return t;
        });
        const m = masked ? mask() : null;
        gradCheck(() => f(xs, m, o), xs, { atol: 2e-3, rtol: 2e-2 });
        dispose([...xs, ...(m ? [m] : [])]);
      },
    );
  }

  it('known values of one step (B = 1, u = 1): GRU (reset after and before) and tanh RNN', () => {
    const [xz, xr, xn, uz, ur, un, bz, br, bn, h] = det(10, 12);
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const z = s(xz + (h * uz + bz));
    const r = s(xr + (h * ur + br));
    const hn = h * un + bn;
    const n = Math.tanh(xn + r * hn);
    const xw = tensor([xz, xr, xn], [1, 1, 3]);
    const U = tensor([uz, ur, un], [1, 3]);
    const h0 = tensor([h], [1, 1]);
    const b = tensor([bz, br, bn], [3]);
    expectClose(gruSequence(xw, U, h0, b), [z, r, hn, n, n + z * (h - n)], 1e-6, 1e-5);
    // PyTorch's order r, z, n: the same numbers from the first two blocks swapped.
    const xw2 = tensor([xr, xz, xn], [1, 1, 3]);
    const U2 = tensor([ur, uz, un], [1, 3]);
    const b2 = tensor([br, bz, bn], [3]);
    expectClose(gruSequence(xw2, U2, h0, b2, null, { zFirst: false }), [z, r, hn, n, n + z * (h - n)], 1e-6, 1e-5);
    expectClose(rnnSequence(tensor([xz], [1, 1, 1]), tensor([uz], [1, 1]), h0), [Math.tanh(xz + h * uz)], 1e-6, 1e-5);
    // Reset before the product (no recurrent bias): z, r as above without b; q = r·h; n = tanh(xn + q·un).
    const z1 = s(xz + h * uz);
    const r1 = s(xr + h * ur);
    const n1 = Math.tanh(xn + r1 * h * un);
    expectClose(gruV1Sequence(xw, U, h0), [z1, r1, r1 * h, n1, n1 + z1 * (h - n1)], 1e-6, 1e-5);
    tidy(() => undefined);
  });

  it('a second-order graph: createGraph differentiates the gradient again (Hessian-vector products)', () => {
    const m = mask();
    for (const { name, f, shapes, piecewiseLinear } of opCases()) {
      const xs = shapes.map((s, k) => detTensor(s, 20 + k, k === 1 ? 0.7 : 1));
      const v = detTensor(shapes[0], 30);
      tidy(() => {
        const w = detTensor([3, 2 * shapes[0][2] * 5], 31);
        const loss = (a: Tensor): Tensor => {
          const y = f([a, ...xs.slice(1)], m, { reverse: true });
          return sum(mul(y, w.slice([0, 0], [3, y.shape[1]])));
        };
        const a = leaf(Array.from(xs[0].dataSync()), shapes[0]);
        backward(loss(a), undefined, { createGraph: true });
        const g1 = a.grad as Tensor;
        a.grad = null;
        const eps = 1e-2;
        const plus = grad(loss)(xs[0].add(mul(v, eps))) as Tensor;
        const minus = grad(loss)(xs[0].sub(mul(v, eps))) as Tensor;
        const want = Array.from(
          plus
            .sub(minus)
            .div(2 * eps)
            .dataSync(),
        );
        if (piecewiseLinear) {
          // The gradient does not depend on xw (away from the kinks): nothing to differentiate again.
          expect(g1.requiresGrad, name).toBe(false);
          expectClose(want, new Array<number>(want.length).fill(0), 3e-3, 3e-2);
          return;
        }
        sum(mul(g1, v)).backward();
        const hv = a.grad as unknown as Tensor;
        try {
          expectClose(hv, want, 3e-3, 3e-2);
        } catch (e) {
          throw new Error(`${name}: ${(e as Error).message}`);
        }
      });
      dispose([...xs, v]);
    }
    m.dispose();
  });

  it('a training step of each module leaves nothing behind', () => {
    for (const m of [new LSTM(3, 4, { bidirectional: true }), new GRU(3, 4, { numLayers: 2 }), new RNN(3, 4)]) {
      const x = detTensor([6, 2, 3], 40);
      tidy(() => sum((m.call(x) as [Tensor, unknown])[0]).backward());
      for (const p of m.parameters()) p.zeroGrad();
      const before = memory().numTensors;
      tidy(() => sum((m.call(x, null, { lengths: [6, 3] }) as [Tensor, unknown])[0]).backward());
      for (const p of m.parameters()) p.zeroGrad();
      tidy(() => sum((m.call(x) as [Tensor, unknown])[0]).backward());
      for (const p of m.parameters()) p.zeroGrad();
      expect(memory().numTensors).toBe(before);
      x.dispose();
      m.dispose();
    }
  });
});
