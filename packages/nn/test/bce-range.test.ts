import { backward } from '@tsdl/autograd';
import { ArgumentError, type Tensor, memory, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { binaryCrossEntropy } from '../src/index';
import { expectClose as closeFinite, useCpu } from './helpers';

useCpu();

/**
 * binaryCrossEntropy against PyTorch: values and gradients from
 * torch.nn.functional.binary_cross_entropy (torch 1.13 on this machine's python3; the
 * script is in the comment below), and its refusal of inputs and targets outside [0, 1].
 *
 *   p = torch.tensor(P, requires_grad=True); y = torch.tensor(Y, requires_grad=True)
 *   l = F.binary_cross_entropy(p, y, weight=w, reduction=r); (l.sum() if r == 'none' else l).backward()
 */

const P = [0, 1, 1, 0, 0.5, 0.25, 0.9, 0.1];
const Y = [0, 0, 1, 1, 0.3, 1, 0.2, 0];
const W = [1, 2, 0.5, 1, 3, 1, 0.25, 2];

const TORCH = {
  none: [0, 100, 0, 100, 0.6931471824645996, 1.3862943649291992, 1.8631401062011719, 0.10536054521799088],
  sumGradP: [0, 999999995904, 0, -999999995904, 0.7999999523162842, -4, 7.77777624130249, 1.1111111640930176],
  sumGradY: [Infinity, -Infinity, -Infinity, Infinity, 0, 1.0986123085021973, -2.1972243785858154, 2.1972246170043945],
  mean: 25.505992889404297,
  meanGradP: [0, 124999999488, 0, -124999999488, 0.09999999403953552, -0.5, 0.9722220301628113, 0.1388888955116272],
  weightedMean: 38.01778030395508,
  weightedMeanGradP: [
    0, 249999998976, 0, -124999999488, 0.29999998211860657, -0.5, 0.24305550754070282, 0.2777777910232544,
  ],
  weightedMeanGradY: [
    Infinity,
    -Infinity,
    -Infinity,
    Infinity,
    0,
    0.13732653856277466,
    -0.06866326183080673,
    0.5493061542510986,
  ],
};

/** Float32 rounding of one operation order against another: a few ulps. */
const RTOL = 2e-6;

/** expectClose, with an infinity matching only the same infinity. */
function expectClose(actual: Tensor, expected: readonly number[], atol: number, rtol: number): void {
  const a = Array.from(actual.dataSync());
  expected.forEach((e, i) => {
    if (!Number.isFinite(e)) expect(a[i], `element ${i}`).toBe(e);
  });
  const finite = expected.map((e, i) => (Number.isFinite(e) ? i : -1)).filter((i) => i >= 0);
  closeFinite(
    finite.map((i) => a[i]),
    finite.map((i) => expected[i]),
    atol,
    rtol,
  );
}

function leaves(): [Tensor, Tensor] {
  const p = tensor(P);
  const y = tensor(Y);
  p.requiresGrad = true;
  y.requiresGrad = true;
  return [p, y];
}

function dispose(...ts: (Tensor | null)[]): void {
  for (const t of ts) {
    t?.grad?.dispose();
    t?.dispose();
  }
}

describe('binaryCrossEntropy matches PyTorch', () => {
  it('values: logs clamped to >= −100', () => {
    const [p, y] = leaves();
    tidy(() => expectClose(binaryCrossEntropy(p, y, { reduction: 'none' }), TORCH.none, 0, RTOL));
    dispose(p, y);
  });

  it('gradients: (p − y) / max((1 − p)·p, 1e-12), so 1e12 at p = 1, y = 0 where the clamped logs gave 0', () => {
    const [p, y] = leaves();
    tidy(() => binaryCrossEntropy(p, y, { reduction: 'sum' }).backward());
    expectClose(p.grad as Tensor, TORCH.sumGradP, 0, RTOL);
    // The target's gradient is −logit(p), infinite at p = 0 and 1, as PyTorch's.
    expectClose(y.grad as Tensor, TORCH.sumGradY, 0, RTOL);
    dispose(p, y);
  });

  it('with the mean reduction and a weight', () => {
    const [p, y] = leaves();
    tidy(() => {
      const l = binaryCrossEntropy(p, y);
      expectClose(l, [TORCH.mean], 0, RTOL);
      l.backward();
    });
    expectClose(p.grad as Tensor, TORCH.meanGradP, 0, RTOL);
    dispose(p, y);
    const [q, t] = leaves();
    const w = tensor(W);
    tidy(() => {
      const l = binaryCrossEntropy(q, t, { weight: w });
      expectClose(l, [TORCH.weightedMean], 0, RTOL);
      l.backward();
    });
    expectClose(q.grad as Tensor, TORCH.weightedMeanGradP, 0, RTOL);
    expectClose(t.grad as Tensor, TORCH.weightedMeanGradY, 0, RTOL);
    dispose(q, t, w);
  });

  it('under createGraph the gradient is built from recorded ops, with the same values', () => {
    const [p, y] = leaves();
    tidy(() => backward(binaryCrossEntropy(p, y, { reduction: 'sum' }), undefined, { createGraph: true }));
    expect((p.grad as Tensor).requiresGrad).toBe(true);
    expectClose(p.grad as Tensor, TORCH.sumGradP, 0, RTOL);
    expectClose(y.grad as Tensor, TORCH.sumGradY, 0, RTOL);
    dispose(p, y);
  });
});

describe('binaryCrossEntropy refuses values outside [0, 1], as PyTorch ("all elements of input should be between 0 and 1")', () => {
  const cases: [string, number[], number[], RegExp][] = [
    [
      'NaN (it gave 100)',
      [0.5, NaN],
      [0, 1],
      /^binaryCrossEntropy: every input value must lie in \[0, 1\], got NaN at index 1 \(probabilities: apply sigmoid first, or use binaryCrossEntropyWithLogits on raw scores\)/,
    ],
    [
      '1.5 (it gave a negative loss)',
      [1.5],
      [0],
      /^binaryCrossEntropy: every input value must lie in \[0, 1\], got 1.5 at index 0/,
    ],
    ['-0.5', [0.2, 0.3, -0.5], [0, 0, 0], /got -0.5 at index 2/],
    [
      'a target of 1.5',
      [0.5, 0.5],
      [1, 1.5],
      /^binaryCrossEntropy: every target value must lie in \[0, 1\], got 1.5 at index 1$/,
    ],
    ['a NaN target', [0.5], [NaN], /^binaryCrossEntropy: every target value must lie in \[0, 1\], got NaN at index 0/],
  ];
  for (const [what, p, y, message] of cases) {
    it(what, () => {
      const pt = tensor(p);
      const yt = tensor(y);
      pt.requiresGrad = true;
      const before = memory();
      expect(() => binaryCrossEntropy(pt, yt)).toThrow(ArgumentError);
      expect(() => binaryCrossEntropy(pt, yt, { reduction: 'none' })).toThrow(message);
      // The error path frees what it made.
      expect(memory()).toEqual(before);
      dispose(pt, yt);
    });
  }

  it('names the position in a matrix, and accepts the bounds 0 and 1 themselves', () => {
    const p = tensor([
      [0, 1],
      [0.5, 2],
    ]);
    const y = tensor([
      [0, 1],
      [1, 0],
    ]);
    expect(() => binaryCrossEntropy(p, y)).toThrow(/got 2 at index 3 \[1,1\]/);
    const ok = tensor([
      [0, 1],
      [0, 1],
    ]);
    tidy(() => expectClose(binaryCrossEntropy(ok, y, { reduction: 'none' }), [0, 0, 100, 100], 0, 0));
    dispose(p, y, ok);
  });
});
