import { noGrad } from '@tsdl/autograd';
import { type Tensor, memory, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  BatchNorm1d,
  Conv2d,
  CrossEntropyLoss,
  Dropout,
  Flatten,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
  crossEntropy,
  mseLoss,
} from '../src/index';
import { det, detTensor, useCpu } from './helpers';

useCpu();

function sgdStep(params: Tensor[], lr: number): void {
  noGrad(() => {
    for (const p of params) {
      if (p.grad) p.assign(p.sub(p.grad.mul(lr)));
      p.zeroGrad();
    }
  });
}

describe('memory', () => {
  it('a tidy forward + backward + update loop on an MLP leaves numTensors flat, and the loss falls', () => {
    const model = new Sequential(
      new Linear(4, 16, { seed: 1 }),
      new ReLU(),
      new Dropout(0.1, { seed: 3 }),
      new BatchNorm1d(16),
      new Linear(16, 3, { seed: 2 }),
    );
    const x = detTensor([8, 4], 5);
    const y = tensor([0, 1, 2, 0, 1, 2, 0, 1], [8], 'int32');
    const lossFn = new CrossEntropyLoss();
    const counts: number[] = [];
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      tidy(() => {
        const loss = lossFn.call(model.call(x), y);
        loss.backward();
        losses.push(loss.item());
        sgdStep(model.parameters(), 0.1);
      });
      counts.push(memory().numTensors);
    }
    expect(new Set(counts.slice(1)).size, `numTensors per step: ${counts.join(',')}`).toBe(1);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    // Eval mode inference too.
    model.eval();
    const before = memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tidy(() => {
        noGrad(() => model.call(x));
      });
    }
    expect(memory().numTensors).toBe(before);
    const bytes = memory().numBytes;
    model.dispose();
    lossFn.dispose();
    x.dispose();
    y.dispose();
    expect(memory().numBytes).toBeLessThan(bytes);
  });

  it('a small CNN step leaves numTensors flat', () => {
    const model = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, seed: 1 }),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(4 * 3 * 3, 2, { seed: 2 }),
    );
    const x = tensor(det(2 * 36, 3), [2, 1, 6, 6]);
    const y = tensor([1, 0], [2], 'int32');
    const counts: number[] = [];
    for (let step = 0; step < 5; step++) {
      tidy(() => {
        crossEntropy(model.call(x), y).backward();
        sgdStep(model.parameters(), 0.05);
      });
      counts.push(memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    model.dispose();
    x.dispose();
    y.dispose();
  });

  it('layers and losses called outside tidy leave exactly one live tensor: their output', () => {
    const model = new Sequential(
      new Linear(3, 5, { seed: 0 }),
      new BatchNorm1d(5),
      new ReLU(),
      new Linear(5, 2, { seed: 1 }),
    );
    const x = detTensor([4, 3]);
    x.requiresGrad = true;
    const t = detTensor([4, 2], 2);
    const labels = tensor([0, 1, 1, 0], [4], 'int32');
    let before = memory().numTensors;
    const y = model.call(x);
    expect(memory().numTensors - before).toBe(1);
    for (const loss of [() => mseLoss(y, t), () => crossEntropy(y, labels, { labelSmoothing: 0.1 })]) {
      before = memory().numTensors;
      const l = loss();
      expect(memory().numTensors - before).toBe(1);
      l.dispose();
    }
    for (const z of [y, x, t, labels]) z.dispose();
    model.dispose();
  });
});
