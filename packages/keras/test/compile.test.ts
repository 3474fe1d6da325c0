import { ArgumentError, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Dense, KerasOptimizer, Sequential, optimizers } from '../src/index';
import { expectValues, flat, thrown, useCpu } from './helpers';

useCpu();

/** y = x · [[1], [2]], no bias: one known linear unit. */
function linearUnit(): Sequential {
  const m = new Sequential([new Dense({ units: 1, useBias: false, kernelInitializer: 'ones', inputShape: [2] })]);
  m.layers[0].namedWeights()[0][1].assign(tensor([[1], [2]]));
  return m;
}

describe('compile', () => {
  it('accepts loss, metric and optimizer names in snake_case, camelCase and Keras class spelling', async () => {
    const x = tensor([
      [1, 0],
      [0, 1],
    ]);
    const y = tensor([0, 1], [2], 'int32');
    const spellings: [string, string, string][] = [
      ['adam', 'sparse_categorical_crossentropy', 'accuracy'],
      ['Adam', 'sparseCategoricalCrossentropy', 'sparse_categorical_accuracy'],
      ['RMSprop', 'SparseCategoricalCrossentropy', 'sparseCategoricalAccuracy'],
      ['sgd', 'sparse_categorical_crossentropy', 'acc'],
      ['adagrad', 'sparse_categorical_crossentropy', 'accuracy'],
      ['AdamW', 'sparse_categorical_crossentropy', 'accuracy'],
    ];
    for (const [optimizer, loss, metric] of spellings) {
      const m = new Sequential([new Dense({ units: 2, activation: 'softmax', inputShape: [2] })]);
      m.compile({ optimizer, loss, metrics: [metric] });
      const logs = await m.evaluate(x, y);
      expect(Object.keys(logs), `${optimizer} ${loss} ${metric}`).toEqual([
        'loss',
        metric.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase(),
      ]);
      expect(m.optimizer).toBeNull();
      await m.trainOnBatch(x, y);
      expect(m.optimizer?.constructor.name.toLowerCase()).toBe(optimizer.toLowerCase());
    }
  });

  it("uses Keras' default learning rates and takes instances and { className, config } with snake_case keys", () => {
    const lr = (optimizer: Parameters<Sequential['compile']>[0]['optimizer']) => {
      const m = linearUnit();
      m.compile({ optimizer, loss: 'mse' });
      return m.learningRate;
    };
    expect(lr('adam')).toBe(0.001);
    expect(lr('sgd')).toBe(0.01);
    expect(lr('rmsprop')).toBe(0.001);
    expect(lr(optimizers.SGD({ learningRate: 0.1 }))).toBe(0.1);
    expect(lr(optimizers.Adam({ learning_rate: 0.02 }))).toBe(0.02);
    expect(lr({ className: 'SGD', config: { learning_rate: 0.5, momentum: 0.9 } })).toBe(0.5);
    expect(lr({ className: 'adam', config: { learningRate: 0.3 } })).toBe(0.3);
    expect(optimizers.Adam({ beta_1: 0.8, epsilon: 1e-8 }).config).toMatchObject({
      beta1: 0.8,
      beta2: 0.999,
      epsilon: 1e-8,
    });
    expect(optimizers.SGD()).toBeInstanceOf(KerasOptimizer);
  });

  it('an SGD instance takes exactly the step w ← w − lr · ∂loss/∂w', async () => {
    const m = linearUnit();
    m.compile({ optimizer: optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
    // x = [1, 1], y = 0: prediction 3, loss 9, ∂loss/∂w = 2 · 3 · x = [6, 6].
    const logs = await m.trainOnBatch(tensor([[1, 1]]), tensor([[0]]));
    expect(logs.loss).toBe(9);
    expectValues(m.getWeights()[0], [1 - 0.6, 2 - 0.6]);
  });

  it('rejects unknown names, missing arguments, and training before compile', async () => {
    const m = linearUnit();
    expect(() => m.compile({ optimizer: 'adam', loss: 'nope' })).toThrow(/compile: unknown loss 'nope'/);
    expect(() => m.compile({ optimizer: 'lion', loss: 'mse' })).toThrow(
      /compile: unknown optimizer "lion" \(known: adam, adamw, sgd, rmsprop, adagrad, nadam, adamax, adadelta\)/,
    );
    expect(() => m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['f2'] })).toThrow(/unknown metric 'f2'/);
    expect(() => m.compile({ optimizer: 'adam' } as never)).toThrow(ArgumentError);
    const fresh = linearUnit();
    const e = await thrown(() => fresh.fit(tensor([[1, 1]]), tensor([[0]])));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/call compile\(\{ optimizer, loss \}\) before fit/);
    // An unbuilt model checks metric names when it is built by the first fit.
    const lazy = new Sequential([new Dense({ units: 1 })]);
    lazy.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['nope'] });
    expect((await thrown(() => lazy.fit(tensor([[1, 1]]), tensor([[0]]), { verbose: 0 }))).message).toMatch(
      /unknown metric 'nope'/,
    );
  });

  it('recompiling replaces the optimizer (and its state) and the metrics', async () => {
    const m = linearUnit();
    m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    await m.trainOnBatch(tensor([[1, 1]]), tensor([[0]]));
    m.compile({ optimizer: optimizers.SGD({ learningRate: 0 }), loss: 'mae', metrics: ['mse'] });
    const before = flat(m.getWeights()[0]);
    const logs = await m.trainOnBatch(tensor([[1, 1]]), tensor([[0]]));
    expect(Object.keys(logs)).toEqual(['loss', 'mse']);
    expect(flat(m.getWeights()[0])).toEqual(before);
  });
});
