import { backward, grad } from '@tsdl/autograd';
import { opsBehind } from '@tsdl/test-utils';
import { type Tensor, dispose, memory, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { GRU, GRUCell, type Layer, RNN, SimpleRNN, SimpleRNNCell } from '../src/index';
import { expectValues, seeded, useCpu } from './helpers';
import { lossOf } from './recurrent-graph';

useCpu();

/**
 * GRU (tanh with sigmoid or hard-sigmoid gates; resetAfter or not) and SimpleRNN (tanh or relu) run their sequence as one op
 * (nn's fused/gru-sequence.ts, gru-v1-sequence.ts, rnn-sequence.ts); RNN(GRUCell) and
 * RNN(SimpleRNNCell) still step op by op. Same weights, so both must give the same outputs and
 * the same gradients for every input, weight and initial state. (lstm-sequence.test.ts does the
 * same for the LSTM.)
 */

type Options = {
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  zeroOutputForMask?: boolean;
  useBias?: boolean;
  /** Test-only: call with a padding mask (leading, inner and trailing masked steps). */
  masked?: boolean;
};

const CASES: Options[] = [
  {},
  { returnSequences: true },
  { returnState: true, useBias: false },
  { returnSequences: true, returnState: true, goBackwards: true },
  { masked: true },
  { masked: true, returnSequences: true, returnState: true },
  { masked: true, returnSequences: true, zeroOutputForMask: true, goBackwards: true },
  { masked: true, returnState: true, zeroOutputForMask: true, useBias: false },
];

const KINDS: {
  name: string;
  op: string;
  fused: (u: number, o: Options) => Layer;
  stepped: (u: number, o: Options) => Layer;
  /** Inputs in [-4, 4], so that hard gates reach both flat parts (|z| > 2.5), not only the slope. */
  wide?: boolean;
}[] = [
  {
    name: 'GRU',
    op: '@tsdl/nn:gruSequence',
    fused: (u: number, o: Options) => new GRU({ units: u, ...o, biasInitializer: 'random_uniform', seed: 11 }),
    stepped: (u: number, { useBias, ...o }: Options) => new RNN(new GRUCell({ units: u, useBias }), o),
  },
  {
    name: 'GRU resetAfter false',
    op: '@tsdl/nn:gruV1Sequence',
    fused: (u: number, o: Options) =>
      new GRU({ units: u, resetAfter: false, ...o, biasInitializer: 'random_uniform', seed: 11 }),
    stepped: (u: number, { useBias, ...o }: Options) =>
      new RNN(new GRUCell({ units: u, useBias, resetAfter: false }), o),
  },
  {
    name: 'GRU, hard_sigmoid gates (Keras 3)',
    op: '@tsdl/nn:gruSequence',
    fused: (u: number, o: Options) =>
      new GRU({ units: u, recurrentActivation: 'hard_sigmoid', ...o, biasInitializer: 'random_uniform', seed: 11 }),
    stepped: (u: number, { useBias, ...o }: Options) =>
      new RNN(new GRUCell({ units: u, useBias, recurrentActivation: 'hard_sigmoid' }), o),
    wide: true,
  },
  {
    name: "GRU resetAfter false, hard_sigmoid_legacy gates (TF.js' default GRU)",
    op: '@tsdl/nn:gruV1Sequence',
    fused: (u: number, o: Options) =>
      new GRU({
        units: u,
        resetAfter: false,
        recurrentActivation: 'hard_sigmoid_legacy',
        ...o,
        biasInitializer: 'random_uniform',
        seed: 11,
      }),
    stepped: (u: number, { useBias, ...o }: Options) =>
      new RNN(new GRUCell({ units: u, useBias, resetAfter: false, recurrentActivation: 'hard_sigmoid_legacy' }), o),
    wide: true,
  },
  {
    name: 'SimpleRNN',
    op: '@tsdl/nn:rnnSequence',
    fused: (u: number, o: Options) => new SimpleRNN({ units: u, ...o, biasInitializer: 'random_uniform', seed: 11 }),
    stepped: (u: number, { useBias, ...o }: Options) => new RNN(new SimpleRNNCell({ units: u, useBias }), o),
  },
  {
    name: 'SimpleRNN relu',
    op: '@tsdl/nn:rnnSequence',
    fused: (u: number, o: Options) =>
      new SimpleRNN({ units: u, activation: 'relu', ...o, biasInitializer: 'random_uniform', seed: 11 }),
    stepped: (u: number, { useBias, ...o }: Options) =>
      new RNN(new SimpleRNNCell({ units: u, useBias, activation: 'relu' }), o),
  },
];

describe.each(KINDS)('$name as one op over the sequence', ({ op, fused: makeFused, stepped: makeStepped, wide }) => {
  it.each(CASES.map((c) => [c]))('%j: outputs and gradients equal the per-step RNN(cell)', ({ masked, ...opts }) => {
    const B = 3;
    const T = 5;
    const F = 4;
    const u = 3;
    const fused = makeFused(u, opts);
    const stepped = makeStepped(u, opts);
    const x = wide ? seeded([B, T, F], 1, -4, 4) : seeded([B, T, F], 1);
    const h0 = seeded([B, u], 2, -0.5, 0.5);
    const mask = masked
      ? tensor([1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0].map(Boolean), [B, T], 'bool')
      : undefined;
    for (const initial of [false, true]) {
      const o = { ...(initial ? { initialState: [h0] } : {}), ...(mask ? { mask } : {}) };
      // The one case the layer leaves to the loop: caller-given states, a mask, masked outputs repeated.
      const oneOp = !(mask && initial && !opts.zeroOutputForMask);
      dispose([fused.call(x, o), stepped.call(x, o)] as Tensor[]);
      stepped.setWeights(fused.getWeights());
      const run = (l: Layer): { outs: Float32Array[]; gs: Float32Array[] } => {
        const res = { outs: [] as Float32Array[], gs: [] as Float32Array[] };
        tidy(() => {
          const inputs = initial ? [x, h0] : [x];
          const f = (...xs: Tensor[]): Tensor =>
            lossOf(l.call(xs[0], { ...o, ...(initial ? { initialState: [xs[1]] } : {}) }) as Tensor | Tensor[]);
          const out = l.call(x, o) as Tensor | Tensor[];
          const first = Array.isArray(out) ? out[0] : out;
          expect(opsBehind(first).has(op)).toBe(l === fused && oneOp);
          for (const t of Array.isArray(out) ? out : [out]) res.outs.push(t.dataSync().slice() as Float32Array);
          const gs = grad(f, initial ? [0, 1] : [0])(...inputs);
          for (const g of Array.isArray(gs) ? gs : [gs]) res.gs.push(g.dataSync().slice() as Float32Array);
        });
        return res;
      };
      const a = run(fused);
      const b = run(stepped);
      expect(a.outs.length).toBe(b.outs.length);
      a.outs.forEach((v, k) => expectValues(v, b.outs[k], { atol: 1e-6, rtol: 1e-6 }, `output ${k}`));
      a.gs.forEach((v, k) => expectValues(v, b.gs[k], { atol: 1e-6, rtol: 1e-5 }, `input gradient ${k}`));
      // The weights' gradients, through backward into .grad.
      const wGrads = (l: Layer): Float32Array[] => {
        tidy(() => backward(lossOf(l.call(x, o) as Tensor | Tensor[])));
        const gs = l.trainableWeights.map((w) => (w.grad as Tensor).dataSync().slice() as Float32Array);
        l.trainableWeights.forEach((w) => {
          w.grad?.dispose();
          w.grad = null;
        });
        return gs;
      };
      const wa = wGrads(fused);
      const wb = wGrads(stepped);
      expect(wa).toHaveLength(opts.useBias === false ? 2 : 3);
      wa.forEach((v, k) => expectValues(v, wb[k], { atol: 1e-6, rtol: 1e-5 }, `weight gradient ${k}`));
    }
    dispose([x, h0, ...(mask ? [mask] : [])]);
    fused.dispose();
    stepped.dispose();
  });

  it('a training step leaves nothing behind', () => {
    const l = makeFused(4, { returnSequences: true });
    const x = seeded([2, 6, 3], 20);
    dispose(l.call(x) as Tensor);
    const before = memory().numTensors;
    tidy(() => backward(lossOf(l.call(x) as Tensor)));
    l.trainableWeights.forEach((wt) => {
      wt.grad?.dispose();
      wt.grad = null;
    });
    expect(memory().numTensors).toBe(before);
    x.dispose();
    l.dispose();
  });
});

describe.each(KINDS)('$name at SIMD sizes (16 units)', ({ fused: makeFused, stepped: makeStepped }) => {
  // Small blocks (< 8 elements a row) run the CPU's JavaScript kernels, which round a fused
  // expression once (in float64) where the loop rounds each op: there the two differ by an ulp.
  it("the forward is the loop's bit for bit, with a mask", () => {
    const opts = { returnSequences: true, returnState: true };
    const fused = makeFused(16, opts);
    const stepped = makeStepped(16, opts);
    const x = seeded([4, 6, 8], 24);
    const mask = tensor(
      Array.from({ length: 24 }, (_, i) => i % 6 < [6, 3, 5, 6][Math.floor(i / 6)]),
      [4, 6],
      'bool',
    );
    dispose([...(fused.call(x) as Tensor[]), ...(stepped.call(x) as Tensor[])]);
    stepped.setWeights(fused.getWeights());
    const values = (l: Layer): number[][] =>
      tidy(() => (l.call(x, { mask }) as Tensor[]).map((t) => Array.from(t.dataSync())));
    const a = values(fused);
    expect(a).toEqual(values(stepped));
    expect(a[0].some((v) => v !== 0)).toBe(true);
    dispose([x, mask]);
    fused.dispose();
    stepped.dispose();
  });
});

describe('errors before the fused op', () => {
  it('a bad mask or initial state is refused and leaves memory as it was', () => {
    for (const l of [new GRU({ units: 3 }), new GRU({ units: 3, resetAfter: false }), new SimpleRNN({ units: 3 })]) {
      const x = seeded([2, 4, 3], 22);
      dispose(l.call(x) as Tensor);
      const before = memory().numTensors;
      const badMask = tensor([true, false, true], [1, 3], 'bool');
      const badState = seeded([2, 4], 23);
      const after = memory().numTensors;
      expect(() => l.call(x, { mask: badMask })).toThrow(/mask/);
      expect(() => l.call(x, { initialState: [badState] })).toThrow(/shape/);
      expect(memory().numTensors).toBe(after);
      dispose([badMask, badState, x]);
      expect(memory().numTensors).toBe(before - 1);
      l.dispose();
    }
  });
});

describe('the configurations that keep the per-step loop', () => {
  it.each([
    [
      'GRU resetAfter false, linear gates',
      () => new GRU({ units: 3, resetAfter: false, recurrentActivation: 'linear' }),
    ],
    ['GRU relu', () => new GRU({ units: 3, activation: 'relu' })],
    ['SimpleRNN elu', () => new SimpleRNN({ units: 3, activation: 'elu' })],
  ])('%s', (_, make) => {
    const l = make();
    const x = seeded([2, 3, 2], 21);
    x.requiresGrad = true;
    tidy(() => {
      const ops = opsBehind(l.call(x) as Tensor);
      expect([...ops].some((op) => op.startsWith('@tsdl/nn:'))).toBe(false);
      expect(ops.has('matmul')).toBe(true);
    });
    x.dispose();
    l.dispose();
  });
});
