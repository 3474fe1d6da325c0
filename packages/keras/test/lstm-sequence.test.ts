import { backward, grad } from '@tsdl/autograd';
import { gradCheck, opsBehind } from '@tsdl/test-utils';
import { type Tensor, dispose, memory, mul, sum, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { LSTM, LSTMCell, RNN } from '../src/index';
import { lstmSequence } from '@tsdl/nn/internal';
import { expectValues, seeded, useCpu } from './helpers';
import { lossOf } from './recurrent-graph';

useCpu();

/**
 * The LSTM layer with Keras' default activations runs its sequence as one op (nn's fused/lstm-sequence.ts);
 * RNN(LSTMCell) still steps op by op. Same weights, so both must give the same outputs and the
 * same gradients for every input, weight and initial state.
 */

type Options = {
  /** The gates' activation (the layer's default: sigmoid). */
  recurrentActivation?: 'hard_sigmoid' | 'hard_sigmoid_legacy';
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  zeroOutputForMask?: boolean;
  /** Test-only: call with a padding mask (leading, inner and trailing masked steps). */
  masked?: boolean;
};

describe('LSTM as one op over the sequence', () => {
  it.each([
    [{}],
    [{ returnSequences: true }],
    [{ returnState: true }],
    [{ returnSequences: true, returnState: true, goBackwards: true }],
    [{ goBackwards: true }],
    [{ masked: true }],
    [{ masked: true, returnSequences: true, returnState: true }],
    [{ masked: true, returnSequences: true, zeroOutputForMask: true, goBackwards: true }],
    [{ masked: true, returnState: true, zeroOutputForMask: true }],
    // Hard-sigmoid gates (Keras 3's and Keras 2's / TF.js'): inputs large enough that some saturate.
    [{ recurrentActivation: 'hard_sigmoid', returnSequences: true, returnState: true }],
    [{ recurrentActivation: 'hard_sigmoid_legacy', returnSequences: true, goBackwards: true }],
    [{ recurrentActivation: 'hard_sigmoid_legacy', masked: true, returnState: true, zeroOutputForMask: true }],
  ] as [Options][])('%j: outputs and gradients equal the per-step RNN(LSTMCell)', ({ masked, ...opts }) => {
    const B = 3;
    const T = 5;
    const F = 4;
    const u = 3;
    const { recurrentActivation, ...layerOpts } = opts;
    const fused = new LSTM({ units: u, ...opts, biasInitializer: 'random_uniform', seed: 11 });
    const stepped = new RNN(new LSTMCell({ units: u, recurrentActivation }), layerOpts);
    // Hard gates saturate beyond |z| = 2.5 or 3: a wider input reaches both their flat parts.
    const x = recurrentActivation ? seeded([B, T, F], 1, -4, 4) : seeded([B, T, F], 1);
    const h0 = seeded([B, u], 2, -0.5, 0.5);
    const c0 = seeded([B, u], 3, -0.5, 0.5);
    const mask = masked
      ? tensor([1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0].map(Boolean), [B, T], 'bool')
      : undefined;
    for (const initial of [false, true]) {
      const o = { ...(initial ? { initialState: [h0, c0] } : {}), ...(mask ? { mask } : {}) };
      // The one case the layer leaves to the loop: caller-given states, a mask, masked outputs repeated.
      const oneOp = !(mask && initial && !opts.zeroOutputForMask);
      dispose([fused.call(x, o), stepped.call(x, o)]);
      stepped.setWeights(fused.getWeights());
      const run = (l: LSTM | RNN): { outs: Float32Array[]; gs: Float32Array[] } => {
        const res = { outs: [] as Float32Array[], gs: [] as Float32Array[] };
        tidy(() => {
          const inputs = initial ? [x, h0, c0] : [x];
          const f = (...xs: Tensor[]): Tensor =>
            lossOf(l.call(xs[0], { ...o, ...(initial ? { initialState: [xs[1], xs[2]] } : {}) }) as Tensor | Tensor[]);
          const out = l.call(x, o) as Tensor | Tensor[];
          const first = Array.isArray(out) ? out[0] : out;
          expect(opsBehind(first).has('@tsdl/nn:lstmSequence')).toBe(l instanceof LSTM && oneOp);
          for (const t of Array.isArray(out) ? out : [out]) res.outs.push(t.dataSync().slice() as Float32Array);
          const gs = grad(f, initial ? [0, 1, 2] : [0])(...inputs);
          for (const g of Array.isArray(gs) ? gs : [gs]) res.gs.push(g.dataSync().slice() as Float32Array);
        });
        return res;
      };
      const a = run(fused);
      const b = run(stepped);
      expect(a.outs.length).toBe(b.outs.length);
      a.outs.forEach((v, k) => expectValues(v, b.outs[k], { atol: 2e-6, rtol: 1e-5 }, `output ${k}`));
      a.gs.forEach((v, k) => expectValues(v, b.gs[k], { atol: 5e-6, rtol: 1e-4 }, `input gradient ${k}`));
      // The weights' gradients, through backward into .grad.
      const wGrads = (l: LSTM | RNN): Float32Array[] => {
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
      expect(wa).toHaveLength(3);
      wa.forEach((v, k) => expectValues(v, wb[k], { atol: 5e-6, rtol: 1e-4 }, `weight gradient ${k}`));
    }
    dispose([x, h0, c0, ...(mask ? [mask] : [])]);
    fused.dispose();
    stepped.dispose();
  });

  it('the op: finite-difference gradients of its whole trace (gates, c, tanh c, h) for every input', async () => {
    const B = 2;
    const T = 3;
    const u = 2;
    const xw = seeded([B, T, 4 * u], 5);
    const U = seeded([u, 4 * u], 6, -0.7, 0.7);
    const h0 = seeded([B, u], 7, -0.5, 0.5);
    const c0 = seeded([B, u], 8, -0.5, 0.5);
    await gradCheck((a, b, c, d) => lstmSequence(a, b, c, d), [xw, U, h0, c0], { atol: 2e-3, rtol: 2e-2 });
    // With a mask: masked steps keep the states, and their gradient passes straight through.
    const mask = tensor([true, false, true, false, true, false], [B, T], 'bool');
    await gradCheck((a, b, c, d) => lstmSequence(a, b, c, d, mask), [xw, U, h0, c0], { atol: 2e-3, rtol: 2e-2 });
    dispose([xw, U, h0, c0, mask]);
  });

  it('the op: known values of one step (B = 1, u = 1)', () => {
    // z = xw + h0·U per gate; c = σ(zf)·c0 + σ(zi)·tanh(zg); h = σ(zo)·tanh(c).
    const xw = seeded([1, 1, 4], 9);
    const U = seeded([1, 4], 10);
    const h0 = seeded([1, 1], 11);
    const c0 = seeded([1, 1], 12);
    const [x0, u0, hh, cc] = [xw, U, h0, c0].map((t) => Array.from(t.dataSync()));
    const z = x0.map((v, k) => v + hh[0] * u0[k]);
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const gates = [s(z[0]), s(z[1]), Math.tanh(z[2]), s(z[3])];
    const c = gates[1] * cc[0] + gates[0] * gates[2];
    const trace = lstmSequence(xw, U, h0, c0);
    expect(trace.shape).toEqual([1, 7]);
    expectValues(trace, [...gates, c, Math.tanh(c), gates[3] * Math.tanh(c)]);
    dispose([trace, xw, U, h0, c0]);
  });

  it('the op with hard-sigmoid gates: known values of one step, a saturated gate passing no gradient', () => {
    // z = xw + h0·U = [3.5, 0.25, -0.54, -2.78]: i saturates at 1, o at 0, f is on the slope (0.2).
    const xw = tensor([3.2, 0.4, -0.6, -2.9], [1, 1, 4]);
    const U = tensor([0.5, -0.25, 0.1, 0.2], [1, 4]);
    const h0 = tensor([0.6], [1, 1]);
    const c0 = tensor([-0.3], [1, 1]);
    const f = 0.2 * 0.25 + 0.5;
    const g = Math.tanh(-0.54);
    const c = f * -0.3 + g;
    const trace = lstmSequence(xw, U, h0, c0, null, { gate: 0.2 });
    expectValues(trace, [1, f, g, 0, c, Math.tanh(c), 0], { atol: 1e-6, rtol: 1e-5 });
    // Through a saturated gate nothing flows: dh/dzo = 0 here, and i's gradient is 0 as well.
    const gx = grad((a: Tensor) => sum(lstmSequence(a, U, h0, c0, null, { gate: 0.2 })))(xw) as Tensor;
    const d = Array.from(gx.dataSync());
    expect(d[0]).toBe(0);
    expect(d[3]).toBe(0);
    // f's gradient: d(c + tanh c)/df · 0.2 · c0, as the trace sums every block.
    expectValues([d[1]], [(1 + (1 - Math.tanh(c) ** 2)) * -0.3 * 0.2 + 0.2 * 1], { atol: 1e-5, rtol: 1e-4 });
    dispose([trace, gx, xw, U, h0, c0]);
  });

  it('the op with hard-sigmoid gates: finite-difference gradients, inputs on both flat parts and the slope', async () => {
    const B = 2;
    const T = 3;
    const u = 2;
    const xw = seeded([B, T, 4 * u], 25, -4, 4);
    const U = seeded([u, 4 * u], 26, -0.7, 0.7);
    const h0 = seeded([B, u], 27, -0.5, 0.5);
    const c0 = seeded([B, u], 28, -0.5, 0.5);
    for (const gate of [1 / 6, 0.2]) {
      const trace = lstmSequence(xw, U, h0, c0, null, { gate });
      const gates = Array.from(trace.dataSync()).filter((_, k) => k % (7 * u) < 4 * u && (k % (7 * u)) / u !== 2);
      // Both flat parts and the slope are reached, so the check covers all three.
      expect(gates.some((v) => v === 0) && gates.some((v) => v === 1) && gates.some((v) => v > 0 && v < 1)).toBe(true);
      trace.dispose();
      // A small step: central differences across a kink see half the slope, and with the default
      // step (1e-2) one gate's pre-activation here straddled 2.5.
      await gradCheck((a, b, c, d) => lstmSequence(a, b, c, d, null, { gate }), [xw, U, h0, c0], {
        eps: 1e-3,
        atol: 2e-3,
        rtol: 2e-2,
      });
    }
    dispose([xw, U, h0, c0]);
  });

  it('a second-order graph: createGraph differentiates the gradient again (a Hessian-vector product)', () => {
    const xw = seeded([2, 3, 8], 13);
    const U = seeded([2, 8], 14, -0.7, 0.7);
    const h0 = seeded([2, 2], 15);
    const c0 = seeded([2, 2], 16);
    const w = seeded([3, 28], 17);
    const v = seeded([2, 3, 8], 18);
    const mask = tensor([true, false, true, true, true, false], [2, 3], 'bool');
    for (const m of [null, mask])
      tidy(() => {
        const f = (a: Tensor) => sum(mul(lstmSequence(a, U, h0, c0, m), w));
        const a = xw.clone();
        a.requiresGrad = true;
        backward(f(a), undefined, { createGraph: true });
        const g1 = a.grad as Tensor;
        a.grad = null;
        // d/dxw of sum(g1 · v) = H·v, through the gradient's own recorded ops.
        sum(mul(g1, v)).backward();
        const hv = a.grad as unknown as Tensor;
        a.grad = null;
        const eps = 1e-2;
        const plus = grad(f)(xw.add(mul(v, eps))) as Tensor;
        const minus = grad(f)(xw.sub(mul(v, eps))) as Tensor;
        expectValues(g1, (grad(f)(xw) as Tensor).dataSync(), { atol: 1e-6, rtol: 1e-5 }, 'first gradient');
        expectValues(
          hv,
          plus
            .sub(minus)
            .div(2 * eps)
            .dataSync(),
          { atol: 3e-3, rtol: 3e-2 },
          'Hessian-vector product',
        );
      });
    dispose([xw, U, h0, c0, w, v, mask]);
  });

  it('a training step leaves nothing behind', () => {
    const l = new LSTM({ units: 4, returnSequences: true, seed: 19 });
    const x = seeded([2, 6, 3], 20);
    dispose(l.call(x));
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
