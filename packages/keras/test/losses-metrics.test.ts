import { ArgumentError, ShapeError, type Tensor, softmax, sigmoid, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { type LossSpec, resolveLoss, resolveMetric } from '../src/index';
import { expectValues, flat, useCpu } from './helpers';

useCpu();

const probs = () =>
  tensor([
    [0.7, 0.2, 0.1],
    [0.1, 0.1, 0.8],
  ]);
const ids = () => tensor([0, 2], [2], 'int32');
const oneHot = () =>
  tensor([
    [1, 0, 0],
    [0, 0, 1],
  ]);
// −(ln 0.7 + ln 0.8) / 2
const CE = (0.35667494393873245 + 0.2231435513142097) / 2;

describe('losses', () => {
  it('sparse_categorical_crossentropy: mean −ln p[label], labels as ids, [N, 1] or floats', () => {
    const l = resolveLoss('sparse_categorical_crossentropy');
    expectValues(l.fn(ids(), probs()), [CE]);
    expectValues(l.fn(tensor([[0], [2]], [2, 1], 'int32'), probs()), [CE]);
    expectValues(l.fn(tensor([0, 2]), probs()), [CE]);
    // Predictions are clipped to [1e-7, 1 − 1e-7]: a zero probability costs −ln 1e-7, not infinity.
    expectValues(l.fn(tensor([1], [1], 'int32'), tensor([[1, 0]])), [16.11809565095832], { atol: 1e-4, rtol: 1e-5 });
  });

  it('sparse_categorical_crossentropy over a sequence (classes on the last axis)', () => {
    const l = resolveLoss('sparse_categorical_crossentropy');
    const p = tensor([
      [
        [0.7, 0.3],
        [0.4, 0.6],
      ],
    ]); // [1, 2 steps, 2 classes]
    expectValues(l.fn(tensor([[0, 1]], [1, 2], 'int32'), p), [-(Math.log(0.7) + Math.log(0.6)) / 2]);
  });

  it('categorical_crossentropy: one-hot targets, predictions renormalised as Keras does', () => {
    const l = resolveLoss('categorical_crossentropy');
    expectValues(l.fn(oneHot(), probs()), [CE]);
    expectValues(
      l.fn(
        oneHot(),
        tensor([
          [1.4, 0.4, 0.2],
          [0.3, 0.3, 2.4],
        ]),
      ),
      [CE],
    );
    // Soft targets: −Σ y ln p.
    expectValues(l.fn(tensor([[0.5, 0.5, 0]]), tensor([[0.7, 0.2, 0.1]])), [
      -(0.5 * Math.log(0.7) + 0.5 * Math.log(0.2)),
    ]);
  });

  it('binary_crossentropy: mean −[y ln p + (1 − y) ln(1 − p)]', () => {
    const l = resolveLoss('binary_crossentropy');
    expectValues(l.fn(tensor([[1], [0], [1]]), tensor([[0.9], [0.2], [0.6]])), [0.2797765635793423]);
    expectValues(l.fn(tensor([[1, 0]]), tensor([[0.5, 0.25]])), [-(Math.log(0.5) + Math.log(0.75)) / 2]);
  });

  it('mean_squared_error / mse and mean_absolute_error / mae', () => {
    const yTrue = tensor([
      [1, 2],
      [3, 4],
    ]);
    const yPred = tensor([
      [1.5, 2],
      [2, 6],
    ]);
    for (const name of ['mean_squared_error', 'mse', 'meanSquaredError', 'MeanSquaredError'])
      expectValues(resolveLoss(name).fn(yTrue, yPred), [1.3125]);
    for (const name of ['mean_absolute_error', 'mae', 'meanAbsoluteError'])
      expectValues(resolveLoss(name).fn(yTrue, yPred), [0.875]);
  });

  it('fromLogits forms equal the probability forms and are exact where those clip', () => {
    const logits = tensor([
      [2, 1, 0],
      [0, -1, 3],
    ]);
    const sce = resolveLoss('sparse_categorical_crossentropy');
    expect(sce.fromLogits?.activation).toBe('softmax');
    const first = Math.log(Math.exp(2) + Math.exp(1) + 1) - 2;
    const second = Math.log(1 + Math.exp(-1) + Math.exp(3)) - 3;
    expectValues(sce.fromLogits!.fn(ids(), logits), [(first + second) / 2]);
    expectValues(sce.fn(ids(), softmax(logits, -1)), [(first + second) / 2]);
    expectValues(resolveLoss('categorical_crossentropy').fromLogits!.fn(oneHot(), logits), [(first + second) / 2]);

    const bce = resolveLoss('binary_crossentropy');
    expect(bce.fromLogits?.activation).toBe('sigmoid');
    const z = tensor([[0.5], [-1]]);
    const y = tensor([[1], [0]]);
    const expected = (Math.log1p(Math.exp(-0.5)) + Math.log1p(Math.exp(-1))) / 2;
    expectValues(bce.fromLogits!.fn(y, z), [expected]);
    expectValues(bce.fn(y, sigmoid(z)), [expected]);
    // A confident wrong logit: exact on logits, clipped at −ln 1e-7 on probabilities.
    expectValues(bce.fromLogits!.fn(tensor([[1]]), tensor([[-30]])), [30], { atol: 1e-4, rtol: 1e-6 });
  });

  it('batchSum is the mean times the batch size where each sample has one loss term, null where it has several', () => {
    const logits = tensor([
      [2, 1, 0],
      [0, -1, 3],
    ]);
    const sce = resolveLoss('sparse_categorical_crossentropy');
    const cce = resolveLoss('categorical_crossentropy');
    const bce = resolveLoss('binary_crossentropy');
    const pairs: [string, LossSpec['fn'], NonNullable<LossSpec['batchSum']>, Tensor, Tensor][] = [
      ['sparse', sce.fn, sce.batchSum!, ids(), probs()],
      ['sparse on logits', sce.fromLogits!.fn, sce.fromLogits!.batchSum!, ids(), logits],
      ['categorical', cce.fn, cce.batchSum!, oneHot(), probs()],
      ['categorical on logits', cce.fromLogits!.fn, cce.fromLogits!.batchSum!, oneHot(), logits],
      ['binary', bce.fn, bce.batchSum!, tensor([[1], [0], [1]]), tensor([[0.9], [0.2], [0.6]])],
      ['binary on logits', bce.fromLogits!.fn, bce.fromLogits!.batchSum!, tensor([[1], [0]]), tensor([[0.5], [-1]])],
      ['mse', resolveLoss('mse').fn, resolveLoss('mse').batchSum!, tensor([[1], [3]]), tensor([[1.5], [2]])],
      ['mae', resolveLoss('mae').fn, resolveLoss('mae').batchSum!, tensor([1, 3, 0]), tensor([1.5, 2, 2])],
    ];
    for (const [what, fn, batchSum, yTrue, yPred] of pairs) {
      const sum = batchSum(yTrue, yPred);
      expect(sum, what).not.toBeNull();
      expectValues(sum!, [flat(fn(yTrue, yPred))[0] * yPred.shape[0]], undefined, what);
    }
    // Several terms per sample: a sequence of class scores, two sigmoid or regression outputs.
    expect(
      sce.fromLogits!.batchSum!(
        tensor([[0, 1]], [1, 2], 'int32'),
        tensor([
          [
            [1, 2, 3],
            [0, 0, 1],
          ],
        ]),
      ),
    ).toBeNull();
    expect(bce.batchSum!(tensor([[1, 0]]), tensor([[0.5, 0.25]]))).toBeNull();
    expect(resolveLoss('mse').batchSum!(tensor([[1, 2]]), tensor([[1.5, 2]]))).toBeNull();
    // A custom function has none: fit differentiates its mean.
    expect(resolveLoss((a, b) => a.sub(b).abs()).batchSum).toBeUndefined();
  });

  it('custom loss functions are reduced to their mean', () => {
    const l = resolveLoss(function absDiff(a, b) {
      return a.sub(b).abs();
    });
    expect(l.name).toBe('absDiff');
    expectValues(l.fn(tensor([1, 2, 3]), tensor([2, 2, 5])), [1]);
  });

  it('reject unknown names and mismatched shapes with errors naming them', () => {
    expect(() => resolveLoss('hinge_loss_x')).toThrow(ArgumentError);
    expect(() => resolveLoss('hinge_loss_x')).toThrow(/unknown loss 'hinge_loss_x'/);
    expect(() => resolveLoss('mse').fn(tensor([[1, 2]]), tensor([[1, 2, 3]]))).toThrow(ShapeError);
    expect(() => resolveLoss('mse').fn(tensor([[1, 2]]), tensor([[1, 2, 3]]))).toThrow(/\[1,2\].*\[1,3\]/);
    expect(() => resolveLoss('sparse_categorical_crossentropy').fn(tensor([0, 1, 2], [3], 'int32'), probs())).toThrow(
      /sparse_categorical_crossentropy: labels of shape \[3\] do not fit predictions of shape \[2,3\]/,
    );
  });
});

describe('metrics', () => {
  const sum = (
    name: string,
    loss: string,
    yTrue: ReturnType<typeof tensor>,
    yPred: ReturnType<typeof tensor>,
    fromLogits = false,
  ) => flat(resolveMetric(name, loss, [null, yPred.shape[yPred.shape.length - 1]]).sum(yTrue, yPred, fromLogits))[0];

  it("'accuracy' resolves to the variant that fits the loss, as Keras does", () => {
    // argmax [1, 0, 1] against labels [1, 1, 1]: 2 right.
    const p = tensor([
      [0.1, 0.9],
      [0.8, 0.2],
      [0.3, 0.7],
    ]);
    expect(sum('accuracy', 'sparse_categorical_crossentropy', tensor([1, 1, 1], [3], 'int32'), p)).toBe(2);
    expect(sum('acc', 'sparse_categorical_crossentropy', tensor([[1], [1], [1]], [3, 1], 'int32'), p)).toBe(2);
    expect(
      sum(
        'accuracy',
        'categorical_crossentropy',
        tensor([
          [0, 1],
          [0, 1],
          [1, 0],
        ]),
        p,
      ),
    ).toBe(1);
    // Binary: p > 0.5 predicts 1; [1, 0, 1, 0] against [1, 1, 0, 0] → 2 right.
    const pb = tensor([[0.6], [0.4], [0.7], [0.2]]);
    const yb = tensor([[1], [1], [0], [0]]);
    expect(sum('accuracy', 'binary_crossentropy', yb, pb)).toBe(2);
    expect(sum('accuracy', 'mse', yb, pb)).toBe(2);
    // On logits the threshold is 0.
    expect(sum('accuracy', 'binary_crossentropy', yb, tensor([[0.3], [-0.1], [2], [-5]]), true)).toBe(2);
    expect(resolveMetric('accuracy', 'sparse_categorical_crossentropy', [null, 2]).name).toBe('accuracy');
  });

  it('named metrics in snake_case or camelCase: per-sample values summed over the batch', () => {
    const yTrue = tensor([
      [1, 2],
      [3, 4],
    ]);
    const yPred = tensor([
      [1.5, 2],
      [2, 6],
    ]);
    // Per sample: mse [0.125, 2.5], mae [0.25, 1.5].
    expect(sum('mse', 'mse', yTrue, yPred)).toBeCloseTo(2.625, 6);
    expect(sum('meanSquaredError', 'mse', yTrue, yPred)).toBeCloseTo(2.625, 6);
    expect(sum('mae', 'mse', yTrue, yPred)).toBeCloseTo(1.75, 6);
    expect(
      sum(
        'sparseCategoricalAccuracy',
        'mse',
        tensor([1, 0], [2], 'int32'),
        tensor([
          [0.2, 0.8],
          [0.4, 0.6],
        ]),
      ),
    ).toBe(1);
    expect(sum('binary_accuracy', 'mse', tensor([[1, 0]]), tensor([[0.9, 0.8]]))).toBe(0.5);
    expect(resolveMetric('meanAbsoluteError', 'mse', [null, 2]).name).toBe('mean_absolute_error');
    expect(() => resolveMetric('f1', 'mse', [null, 2])).toThrow(/unknown metric 'f1'/);
  });
});
