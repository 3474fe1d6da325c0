import { type Tensor, ones, tensor, tidy } from '@tsdl/tensor';
import { type AutogradHooks, autogradHooks, setAutogradHooks } from '@tsdl/tensor/internal';
import { describe, expect, it } from 'vitest';
import { crossEntropy } from '../src/index';
import { det, expectClose, useCpu } from './helpers';

useCpu();

/** The ops autograd records while `fn` runs. */
function recorded(fn: () => void): string[] {
  const inner = autogradHooks() as AutogradHooks;
  const seen: string[] = [];
  setAutogradHooks({ record: (op, i, a, o) => (seen.push(op), inner.record(op, i, a, o)), backward: inner.backward });
  try {
    fn();
  } finally {
    setAutogradHooks(inner);
  }
  return seen;
}

/** Loss and d loss / d logits, from a fresh leaf. */
function lossAndGrad(f: (x: Tensor) => Tensor, values: number[], shape: number[]): [number[], number[]] {
  return tidy(() => {
    const x = tensor(values, shape);
    x.requiresGrad = true;
    const l = f(x);
    l.sum().backward();
    const out: [number[], number[]] = [Array.from(l.dataSync()), Array.from((x.grad as Tensor).dataSync())];
    x.grad?.dispose();
    return out;
  });
}

describe('crossEntropy through the fused softmaxCrossEntropy kernel', () => {
  const X = det(12, 7).map((v) => v * 3);
  const idx = () => tensor([2, 0, 3], [3], 'int32');
  const probs = () => tensor([0.1, 0.2, 0.3, 0.4, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25], [3, 4]);

  it('[N, C] logits with index or probability targets record the fused op and the mean (sum, div) only', () => {
    for (const t of [idx, probs]) {
      const ops = recorded(() =>
        tidy(() => {
          const x = tensor(X, [3, 4]);
          x.requiresGrad = true;
          crossEntropy(x, t());
        }),
      );
      expect(ops.filter((op) => op !== 'reshape')).toEqual(['softmaxCrossEntropy', 'sum', 'div']);
    }
  });

  // A weight of ones forces the composed logSoftmax path: the two must agree in value and gradient.
  const composed = () => ({ weight: ones([4]) });
  const cases: [string, (x: Tensor, o?: object) => Tensor][] = [
    ['index targets, mean', (x, o) => crossEntropy(x, idx(), { ...o })],
    ['index targets, none', (x, o) => crossEntropy(x, idx(), { ...o, reduction: 'none' })],
    [
      'index targets with an ignored one, mean',
      (x, o) => crossEntropy(x, tensor([2, -100, 3], [3], 'int32'), { ...o }),
    ],
    [
      'index targets with an ignored one, none',
      (x, o) => crossEntropy(x, tensor([2, -100, 3], [3], 'int32'), { ...o, reduction: 'none' }),
    ],
    ['probability targets, sum', (x, o) => crossEntropy(x, probs(), { ...o, reduction: 'sum' })],
    [
      'probability targets with label smoothing 0.2, none',
      (x, o) => crossEntropy(x, probs(), { ...o, labelSmoothing: 0.2, reduction: 'none' }),
    ],
  ];
  for (const [name, f] of cases) {
    it(`${name}: equals the composed path in value and gradient`, () => {
      const [fl, fg] = lossAndGrad((x) => f(x), X, [3, 4]);
      const [cl, cg] = lossAndGrad((x) => f(x, composed()), X, [3, 4]);
      expectClose(fl, cl, 1e-5);
      expectClose(fg, cg, 1e-5);
    });
  }

  it('a [C] input is one row: value and shape of reduction none', () => {
    tidy(() => {
      const x = tensor([1, 2, 3]);
      const l = crossEntropy(x, tensor([2], [], 'int32'), { reduction: 'none' });
      expect(l.shape).toEqual([]);
      expectClose(l, [Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3]);
    });
  });
});
