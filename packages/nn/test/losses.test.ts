import { ArgumentError, DTypeError, ShapeError, type Tensor, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  BCELoss,
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  HuberLoss,
  L1Loss,
  MSELoss,
  NLLLoss,
  SmoothL1Loss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  huberLoss,
  l1Loss,
  mseLoss,
  nllLoss,
  smoothL1Loss,
} from '../src/index';
import { det, expectClose, gradCheck, useCpu } from './helpers';

useCpu();

const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);
const mean = (a: number[]): number => sum(a) / a.length;

function logSoftmaxRows(v: number[], C: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < v.length; i += C) {
    const r = v.slice(i, i + C);
    const m = Math.max(...r);
    const lse = m + Math.log(sum(r.map((x) => Math.exp(x - m))));
    rows.push(r.map((x) => x - lse));
  }
  return rows;
}

/** Checks a loss function for all three reductions against per-element references. */
function checkReductions(
  fn: (r: 'mean' | 'sum' | 'none') => Tensor,
  perElement: number[],
  meanValue = mean(perElement),
  tol = 1e-5,
): void {
  tidy(() => {
    expectClose(fn('none'), perElement, tol, tol);
    expectClose(fn('sum'), [sum(perElement)], tol, tol);
    expectClose(fn('mean'), [meanValue], tol, tol);
    expect(fn('mean').shape).toEqual([]);
  });
}

describe('regression losses', () => {
  const p = [0.5, -1, 2, 3.5, 0, -2];
  const t = [1, -1, 0.5, 1, 0.3, 0];
  const d = p.map((v, i) => v - t[i]);

  it('mseLoss, l1Loss, huberLoss, smoothL1Loss: every reduction', () => {
    const x = tensor(p, [2, 3]);
    const y = tensor(t, [2, 3]);
    checkReductions(
      (reduction) => mseLoss(x, y, { reduction }),
      d.map((v) => v * v),
    );
    checkReductions((reduction) => l1Loss(x, y, { reduction }), d.map(Math.abs));
    const huber = (delta: number) =>
      d.map((v) => (Math.abs(v) < delta ? 0.5 * v * v : delta * (Math.abs(v) - 0.5 * delta)));
    checkReductions((reduction) => huberLoss(x, y, { reduction }), huber(1));
    checkReductions((reduction) => huberLoss(x, y, { reduction, delta: 2 }), huber(2));
    const sl1 = (beta: number) => d.map((v) => (Math.abs(v) < beta ? (0.5 * v * v) / beta : Math.abs(v) - 0.5 * beta));
    checkReductions((reduction) => smoothL1Loss(x, y, { reduction }), sl1(1));
    checkReductions((reduction) => smoothL1Loss(x, y, { reduction, beta: 0.5 }), sl1(0.5));
    // Modules
    tidy(() => {
      expectClose(new MSELoss().call(x, y), [mean(d.map((v) => v * v))]);
      expectClose(new L1Loss({ reduction: 'sum' }).call(x, y), [sum(d.map(Math.abs))]);
      expectClose(new HuberLoss({ delta: 2 }).call(x, y), [mean(huber(2))]);
      expectClose(new SmoothL1Loss({ beta: 0.5, reduction: 'none' }).call(x, y), sl1(0.5));
    });
    x.dispose();
    y.dispose();
  });

  it('gradients match finite differences', () => {
    const x = tensor(p, [2, 3]);
    x.requiresGrad = true;
    const y = tensor(t, [2, 3]);
    gradCheck(() => mseLoss(x, y), [x]);
    gradCheck(() => l1Loss(x, y, { reduction: 'sum' }), [x]);
    gradCheck(() => huberLoss(x, y, { reduction: 'none' }), [x]);
    gradCheck(() => smoothL1Loss(x, y, { beta: 0.5 }), [x]);
    x.dispose();
    y.dispose();
  });

  it('errors name the loss and both shapes; a bad reduction is rejected', () => {
    const x = tensor(p, [2, 3]);
    const y = tensor(t, [6]);
    expect(() => mseLoss(x, y)).toThrow(ShapeError);
    expect(() => mseLoss(x, y)).toThrow(/mseLoss: target of shape \[6\] does not match input of shape \[2,3\]/);
    expect(() => l1Loss(x, y)).toThrow(/l1Loss/);
    expect(() => mseLoss(x, x, { reduction: 'avg' as 'mean' })).toThrow(ArgumentError);
    x.dispose();
    y.dispose();
  });
});

describe('binary cross-entropy', () => {
  it('on probabilities, with logs clamped to >= −100', () => {
    const p = [0.1, 0.9, 0.5, 0, 1, 0.3];
    const y = [0, 1, 1, 1, 0, 0.25];
    const clog = (v: number): number => Math.max(Math.log(v), -100);
    const ref = p.map((v, i) => -(y[i] * clog(v) + (1 - y[i]) * clog(1 - v)));
    expect(ref[3]).toBe(100);
    const P = tensor(p, [2, 3]);
    const Y = tensor(y, [2, 3]);
    checkReductions((reduction) => binaryCrossEntropy(P, Y, { reduction }), ref, mean(ref), 1e-4);
    const w = tensor([1, 2, 0.5], [3]);
    const wv = [1, 2, 0.5, 1, 2, 0.5];
    checkReductions(
      (reduction) => binaryCrossEntropy(P, Y, { reduction, weight: w }),
      ref.map((v, i) => v * wv[i]),
      undefined,
      1e-4,
    );
    tidy(() => {
      expectClose(new BCELoss({ weight: w }).call(P, Y), [mean(ref.map((v, i) => v * wv[i]))], 1e-4);
    });
    P.dispose();
    Y.dispose();
    w.dispose();
  });

  it('gradients are finite at p = 0 and p = 1 and match finite differences inside (0, 1)', () => {
    const P = tensor([0, 1, 0, 1], [4]);
    P.requiresGrad = true;
    const Y = tensor([0, 1, 1, 0], [4]);
    tidy(() => binaryCrossEntropy(P, Y).backward());
    for (const g of (P.grad as Tensor).dataSync()) expect(Number.isFinite(g)).toBe(true);
    P.dispose();
    const Q = tensor([0.2, 0.7, 0.45, 0.9, 0.05, 0.6], [2, 3]);
    Q.requiresGrad = true;
    const T = tensor([0, 1, 0.5, 1, 0, 0], [2, 3]);
    gradCheck(() => binaryCrossEntropy(Q, T, { reduction: 'none' }), [Q], { eps: 1e-3 });
    Q.dispose();
    T.dispose();
    Y.dispose();
  });

  it('with logits: stable formula, no inf/NaN at ±100', () => {
    const x = [-100, -3, 0, 2, 100, 100, -100, 0.5];
    const y = [0, 1, 1, 0, 1, 0, 1, 0.3];
    const ref = x.map((v, i) => Math.max(v, 0) - v * y[i] + Math.log1p(Math.exp(-Math.abs(v))));
    expectClose([ref[4], ref[5], ref[6]], [0, 100, 100], 1e-12);
    const X = tensor(x, [2, 4]);
    X.requiresGrad = true;
    const Y = tensor(y, [2, 4]);
    checkReductions((reduction) => binaryCrossEntropyWithLogits(X, Y, { reduction }), ref, mean(ref), 1e-5);
    tidy(() => {
      const l = binaryCrossEntropyWithLogits(X, Y, { reduction: 'sum' });
      expect(Number.isFinite(l.item())).toBe(true);
      l.backward();
    });
    // d/dx = sigmoid(x) − y
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    expectClose(
      X.grad as Tensor,
      x.map((v, i) => sig(v) - y[i]),
      1e-6,
    );
    X.zeroGrad();
    const small = tensor([-2, -0.5, 0.3, 1.5, 2.5, -1, 0.7, 0.1], [2, 4]);
    small.requiresGrad = true;
    gradCheck(() => binaryCrossEntropyWithLogits(small, Y, { reduction: 'none' }), [small]);
    X.dispose();
    Y.dispose();
    small.dispose();
  });

  it('with logits: weight and posWeight as PyTorch', () => {
    const x = [-1.5, 0.2, 2, 0.7, -0.3, 1.1];
    const y = [0, 1, 1, 1, 0, 0.5];
    const pw = [2, 0.5, 3];
    const w = [1, 0.5];
    const softplus = (v: number): number => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    const ref = x.map((v, i) => {
      const p = pw[i % 3];
      const l = (1 - y[i]) * v + (1 + (p - 1) * y[i]) * softplus(-v);
      return l * w[Math.floor(i / 3)];
    });
    const X = tensor(x, [2, 3]);
    const Y = tensor(y, [2, 3]);
    const PW = tensor(pw, [3]);
    const W = tensor(w, [2, 1]);
    checkReductions((reduction) => binaryCrossEntropyWithLogits(X, Y, { reduction, posWeight: PW, weight: W }), ref);
    const m = new BCEWithLogitsLoss({ posWeight: PW, weight: W });
    expect(Object.keys(m.stateDict())).toEqual(['weight', 'pos_weight']);
    tidy(() => {
      expectClose(m.call(X, Y), [mean(ref)]);
    });
    X.requiresGrad = true;
    gradCheck(() => binaryCrossEntropyWithLogits(X, Y, { reduction: 'none', posWeight: PW, weight: W }), [X]);
    const bad = tensor([1, 2], [2]);
    expect(() => binaryCrossEntropyWithLogits(X, Y, { posWeight: bad })).toThrow(ShapeError);
    for (const t of [X, Y, PW, W, bad]) t.dispose();
    m.dispose();
  });
});

describe('crossEntropy and nllLoss', () => {
  const logits = [1, 2, 0.5, -1, 0.3, -0.2, 2.5, 0, -1, 1, 1, 3];
  const C = 4;
  const targets = [1, 0, 3];
  const lsm = logSoftmaxRows(logits, C);
  const ce = targets.map((t, i) => -lsm[i][t]);

  it('int32 class indices: every reduction', () => {
    const X = tensor(logits, [3, 4]);
    const T = tensor(targets, [3], 'int32');
    checkReductions((reduction) => crossEntropy(X, T, { reduction }), ce);
    tidy(() => {
      expectClose(new CrossEntropyLoss().call(X, T), [mean(ce)], 1e-5);
    });
    X.dispose();
    T.dispose();
  });

  it("class weights: the mean divides by the targets' total weight", () => {
    const w = [1, 2, 0.5, 3];
    const X = tensor(logits, [3, 4]);
    const T = tensor(targets, [3], 'int32');
    const W = tensor(w);
    const per = targets.map((t, i) => w[t] * ce[i]);
    checkReductions(
      (reduction) => crossEntropy(X, T, { reduction, weight: W }),
      per,
      sum(per) / sum(targets.map((t) => w[t])),
    );
    for (const t of [X, T, W]) t.dispose();
  });

  it('ignoreIndex: ignored positions add neither loss nor weight', () => {
    const X = tensor(logits, [3, 4]);
    const T = tensor([1, -100, 3], [3], 'int32');
    tidy(() => {
      expectClose(crossEntropy(X, T), [(ce[0] + ce[2]) / 2], 1e-5);
      expectClose(crossEntropy(X, T, { reduction: 'none' }), [ce[0], 0, ce[2]], 1e-5);
      const T0 = tensor([1, 0, 3], [3], 'int32');
      expectClose(crossEntropy(X, T0, { ignoreIndex: 0 }), [(ce[0] + ce[2]) / 2], 1e-5);
      expectClose(nllLoss(X.logSoftmax(-1), T0, { ignoreIndex: 0, reduction: 'sum' }), [ce[0] + ce[2]], 1e-5);
    });
    X.dispose();
    T.dispose();
  });

  it('checks and ignores the values of a sliced target, not the rest of its storage', () => {
    // The range check bounds a slice by its storage's remembered range and reads the slice
    // only when that does not settle it: an ignored or out-of-range label outside the slice
    // must change nothing, one inside it must count.
    const X = tensor(logits, [3, 4]);
    const all = tensor([9, 1, -100, 3, -100, 7], [6], 'int32');
    tidy(() => {
      for (let k = 0; k < 2; k++) {
        expectClose(crossEntropy(X, all.slice([1], [4])), [(ce[0] + ce[2]) / 2], 1e-5);
        expect(() => crossEntropy(X, all.slice([3], [6]))).toThrow(/target 7 is out of range for 4 classes/);
      }
      const ok = tensor([0, 1, 0, 3, 2], [5], 'int32');
      expectClose(crossEntropy(X, ok.slice([1], [4]), { ignoreIndex: 0 }), [(ce[0] + ce[2]) / 2], 1e-5);
      expectClose(crossEntropy(X, ok.slice([1], [4]), { ignoreIndex: 7 }), [mean(ce)], 1e-5);
    });
    X.dispose();
    all.dispose();
  });

  it('label smoothing (with and without weights), as PyTorch', () => {
    const eps = 0.1;
    const X = tensor(logits, [3, 4]);
    const T = tensor(targets, [3], 'int32');
    const smooth = lsm.map((r) => -sum(r));
    const per = ce.map((v, i) => (1 - eps) * v + (eps / C) * smooth[i]);
    checkReductions((reduction) => crossEntropy(X, T, { reduction, labelSmoothing: eps }), per);
    // Weighted: mean = (1−ε)·Σw_t·ce/Σw_t + ε/C · Σ_i Σ_c −w_c·logp_ic / Σw_t
    const w = [1, 2, 0.5, 3];
    const W = tensor(w);
    const wsum = sum(targets.map((t) => w[t]));
    const nllW = targets.map((t, i) => w[t] * ce[i]);
    const smoothW = lsm.map((r) => -sum(r.map((v, c) => v * w[c])));
    const perW = nllW.map((v, i) => (1 - eps) * v + (eps / C) * smoothW[i]);
    checkReductions(
      (reduction) => crossEntropy(X, T, { reduction, labelSmoothing: eps, weight: W }),
      perW,
      ((1 - eps) * sum(nllW)) / wsum + ((eps / C) * sum(smoothW)) / wsum,
    );
    tidy(() => {
      expectClose(
        new CrossEntropyLoss({ labelSmoothing: eps, weight: W }).call(X, T),
        [((1 - eps) * sum(nllW) + (eps / C) * sum(smoothW)) / wsum],
        1e-5,
      );
    });
    for (const t of [X, T, W]) t.dispose();
  });

  it('probability targets (soft labels and one-hot), with smoothing and weights', () => {
    const X = tensor(logits, [3, 4]);
    const probs = [0.1, 0.6, 0.2, 0.1, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25];
    const P = tensor(probs, [3, 4]);
    const per = lsm.map((r, i) => -sum(r.map((v, c) => v * probs[i * 4 + c])));
    checkReductions((reduction) => crossEntropy(X, P, { reduction }), per);
    // Smoothing mixes the target with the uniform distribution.
    const eps = 0.2;
    const perS = lsm.map((r, i) => -sum(r.map((v, c) => v * (probs[i * 4 + c] * (1 - eps) + eps / C))));
    checkReductions((reduction) => crossEntropy(X, P, { reduction, labelSmoothing: eps }), perS);
    // Weights: the mean is over samples (not weight-normalized).
    const w = [1, 2, 0.5, 3];
    const W = tensor(w);
    const perW = lsm.map((r, i) => -sum(r.map((v, c) => v * probs[i * 4 + c] * w[c])));
    checkReductions((reduction) => crossEntropy(X, P, { reduction, weight: W }), perW);
    // One-hot float targets equal index targets.
    const oh = tensor([0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1], [3, 4]);
    const T = tensor(targets, [3], 'int32');
    tidy(() => {
      expectClose(crossEntropy(X, oh), Array.from(crossEntropy(X, T).dataSync()), 1e-6);
      expectClose(
        crossEntropy(X, oh, { labelSmoothing: 0.1 }),
        Array.from(crossEntropy(X, T, { labelSmoothing: 0.1 }).dataSync()),
        1e-6,
      );
    });
    for (const t of [X, P, W, oh, T]) t.dispose();
  });

  it('class axis 1 of [N, C, d] inputs, and an unbatched [C] input', () => {
    // input [2, 3, 2]: N=2, C=3, d=2; target [2, 2]
    const v = det(12, 3).map((x) => x * 2);
    const X = tensor(v, [2, 3, 2]);
    const t = [2, 0, 1, 1];
    const T = tensor(t, [2, 2], 'int32');
    const per: number[] = [];
    for (let n = 0; n < 2; n++) {
      for (let d = 0; d < 2; d++) {
        const row = [0, 1, 2].map((c) => v[(n * 3 + c) * 2 + d]);
        per.push(-logSoftmaxRows(row, 3)[0][t[n * 2 + d]]);
      }
    }
    checkReductions((reduction) => crossEntropy(X, T, { reduction }), per);
    tidy(() => expect(crossEntropy(X, T, { reduction: 'none' }).shape).toEqual([2, 2]));
    // Probabilities of the input's shape work with the class on axis 1 too.
    const oh = tensor([0, 1, 0, 0, 1, 0, /* n=1 */ 0, 0, 1, 1, 0, 0], [2, 3, 2]);
    tidy(() => expectClose(crossEntropy(X, oh, { reduction: 'none' }), per, 1e-5));
    const x1 = tensor([0.5, 1.5, -1]);
    const t1 = tensor(2, [], 'int32');
    tidy(() => expectClose(crossEntropy(x1, t1), [-logSoftmaxRows([0.5, 1.5, -1], 3)[0][2]], 1e-6));
    for (const z of [X, T, oh, x1, t1]) z.dispose();
  });

  it('nllLoss on log-probabilities, with weights and reductions', () => {
    const lp = lsm.flat();
    const X = tensor(lp, [3, 4]);
    const T = tensor(targets, [3], 'int32');
    checkReductions((reduction) => nllLoss(X, T, { reduction }), ce);
    const w = [0.5, 1, 1, 2];
    const W = tensor(w);
    const per = targets.map((t, i) => w[t] * ce[i]);
    checkReductions(
      (reduction) => nllLoss(X, T, { reduction, weight: W }),
      per,
      sum(per) / sum(targets.map((t) => w[t])),
    );
    tidy(() => expectClose(new NLLLoss({ weight: W }).call(X, T), [sum(per) / sum(targets.map((t) => w[t]))], 1e-5));
    const F = tensor(targets, [3]);
    expect(() => nllLoss(X, F)).toThrow(DTypeError);
    for (const t of [X, T, W, F]) t.dispose();
  });

  it('gradients w.r.t. logits match finite differences', () => {
    const X = tensor(logits, [3, 4]);
    X.requiresGrad = true;
    const T = tensor([1, -100, 3], [3], 'int32');
    const W = tensor([1, 2, 0.5, 3]);
    const P = tensor([0.1, 0.6, 0.2, 0.1, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25], [3, 4]);
    gradCheck(() => crossEntropy(X, T), [X]);
    gradCheck(() => crossEntropy(X, T, { weight: W, labelSmoothing: 0.2 }), [X]);
    gradCheck(() => crossEntropy(X, P, { labelSmoothing: 0.1, reduction: 'none' }), [X]);
    gradCheck(() => nllLoss(X, T, { reduction: 'sum' }), [X]);
    // d CE/d logits = softmax − onehot (mean over N)
    X.zeroGrad();
    const T2 = tensor(targets, [3], 'int32');
    tidy(() => crossEntropy(X, T2).backward());
    const want = lsm.flatMap((r, i) => r.map((v, c) => (Math.exp(v) - (c === targets[i] ? 1 : 0)) / 3));
    expectClose(X.grad as Tensor, want, 1e-6);
    for (const t of [X, T, W, P, T2]) t.dispose();
  });

  it('is numerically stable for large logits', () => {
    const X = tensor([1000, 0, -1000, 500, 500, 0], [2, 3]);
    const T = tensor([1, 2], [2], 'int32');
    tidy(() => {
      const l = crossEntropy(X, T, { reduction: 'none' });
      expectClose(l, [1000, 500 + Math.log(2)], 1e-3, 1e-6);
    });
    X.dispose();
    T.dispose();
  });

  it('errors name the loss and the shapes', () => {
    const X = tensor(logits, [3, 4]);
    const T = tensor([1, 0], [2], 'int32');
    expect(() => crossEntropy(X, T)).toThrow(ShapeError);
    expect(() => crossEntropy(X, T)).toThrow(
      /crossEntropy: class-index target of shape \[2\] does not fit input of shape \[3,4\]; expected target shape \[3\]/,
    );
    const F = tensor([1, 0, 2], [3]);
    expect(() => crossEntropy(X, F)).toThrow(
      /crossEntropy: target of shape \[3\] \(float32\) does not fit input of shape \[3,4\]/,
    );
    const out = tensor([1, 4, 0], [3], 'int32');
    expect(() => crossEntropy(X, out)).toThrow(/target 4 is out of range for 4 classes/);
    const W = tensor([1, 2]);
    expect(() => crossEntropy(X, out, { weight: W })).toThrow(/weight must be 1-D with one value per class \(4\)/);
    expect(() => nllLoss(X, T)).toThrow(/nllLoss: class-index target of shape \[2\]/);
    expect(() => crossEntropy(X, out, { labelSmoothing: 2 })).toThrow(ArgumentError);
    for (const t of [X, T, F, out, W]) t.dispose();
  });
});
