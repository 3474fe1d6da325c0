import { noGrad } from '@tsdl/autograd';
import { type Tensor, memory, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { CrossEntropyLoss, Linear, Module, ReLU, Sequential } from '../src/index';
import { useCpu } from './helpers';

useCpu();

describe('README examples', () => {
  it('the MLP training loop runs, learns and keeps memory flat', () => {
    const model = new Sequential(new Linear(4, 16, { seed: 0 }), new ReLU(), new Linear(16, 3, { seed: 1 }));
    const lossFn = new CrossEntropyLoss({ labelSmoothing: 0.1 });
    const x = tensor([
      [0.1, 0.2, 0.3, 0.4],
      [1, 0, -1, 0.5],
    ]);
    const y = tensor([2, 0], [2], 'int32');
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 0; step < 100; step++) {
      tidy(() => {
        const loss = lossFn.call(model.call(x), y);
        loss.backward();
        noGrad(() => {
          for (const p of model.parameters()) {
            p.assign(p.sub((p.grad as Tensor).mul(0.1)));
            p.zeroGrad();
          }
        });
        losses.push(loss.item());
      });
      counts.push(memory().numTensors);
    }
    expect(losses[99]).toBeLessThan(losses[0] / 2);
    expect(new Set(counts).size).toBe(1);
    expect(model.toString()).toContain('Linear(inFeatures=4, outFeatures=16, bias=true)');
    model.dispose();
    x.dispose();
    y.dispose();
  });

  it('a custom Module with class-field registration', () => {
    class MLP extends Module {
      fc1 = this.registerModule('fc1', new Linear(6, 5));
      fc2 = this.registerModule('fc2', new Linear(5, 2));
      override forward(x: Tensor): Tensor {
        return tidy(() => this.fc2.call(this.fc1.call(x).relu()));
      }
    }
    const m = new MLP();
    expect(m.namedParameters().map(([k]) => k)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const x = tensor(new Float32Array(12), [2, 6]);
    const out = m.call(x);
    expect(out.shape).toEqual([2, 2]);
    out.dispose();
    x.dispose();
    m.dispose();
  });
});
