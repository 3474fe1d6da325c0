import { type Tensor, dispose, memory, tensor } from '@tsdl/tensor';
import { seededNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import { Dense, type Functional, Input, Multiply, Subtract, loadModel, model, optimizers } from '../src/index';
import { expectValues, flat, useCpu, useTempDir } from './helpers';

useCpu();

/**
 * A siamese pair: one embedding layer applied to both inputs (shared weights), the squared
 * difference of the embeddings, and a logistic head saying whether the pair matches.
 * `shared: false` gives each input its own embedding layer (same starting weights).
 */
function siamese(shared = true): Functional {
  const a = Input({ shape: [4], name: 'a' });
  const b = Input({ shape: [4], name: 'b' });
  const embedA = new Dense({ units: 3, activation: 'tanh', name: 'embed', seed: 1 });
  const embedB = shared ? embedA : new Dense({ units: 3, activation: 'tanh', name: 'embed_b', seed: 1 });
  const diff = new Subtract({ name: 'diff' }).apply([embedA.apply(a), embedB.apply(b)]);
  const sq = new Multiply({ name: 'sq' }).apply([diff, diff]);
  const out = new Dense({ units: 1, activation: 'sigmoid', name: 'match', seed: 2 }).apply(sq);
  return model({ inputs: [a, b], outputs: out, name: shared ? 'siamese' : 'two_towers' });
}

function pairs(n: number, seed: number): { a: Tensor; b: Tensor; y: Tensor } {
  const a = seededNumbers(4 * n, seed, -1, 1);
  const b = a.map((v, i) => (Math.floor(i / 4) % 2 === 0 ? v + 0.1 * Math.sin(i) : -v));
  return {
    a: tensor(a, [n, 4]),
    b: tensor(b, [n, 4]),
    y: tensor(
      Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0)),
      [n, 1],
    ),
  };
}

/** One SGD step with rate 1: the gradient of each weight is its value before minus after. */
async function gradients(m: Functional, d: { a: Tensor; b: Tensor; y: Tensor }): Promise<number[][]> {
  m.compile({ optimizer: optimizers.SGD({ learningRate: 1 }), loss: 'binary_crossentropy' });
  const before = m.getWeights();
  await m.trainOnBatch([d.a, d.b], d.y);
  const after = m.getWeights();
  const g = before.map((w, i) => flat(w).map((v, j) => v - flat(after[i])[j]));
  m.setWeights(before);
  dispose([before, after]);
  return g;
}

describe('a siamese pair: one layer applied to two inputs', () => {
  const dir = useTempDir();

  it('has one set of embedding weights, listed once by getWeights and summary', () => {
    const m = siamese();
    expect(m.namedModelWeights().map(([k]) => k)).toEqual(['embed/kernel', 'embed/bias', 'match/kernel', 'match/bias']);
    const text = m.summary(false);
    expect(text.match(/ embed \(Dense\)/g)).toHaveLength(1);
    expect(text).toContain(
      " embed (Dense)                  (None, 3)            15          ['a[0][0]',\n" + ' '.repeat(65) + " 'b[0][0]']",
    );
    expect(text).toContain(
      " diff (Subtract)                (None, 3)            0           ['embed[0][0]',\n" +
        ' '.repeat(65) +
        " 'embed[1][0]']",
    );
    expect(text).toContain('Total params: 19\n');
  });

  it("the shared weights' gradient is the sum of both branches' gradients, and matches finite differences", async () => {
    const d = pairs(8, 3);
    const shared = siamese();
    const g = await gradients(shared, d);
    // The same network with two separate (equal) embedding layers: one gradient per branch.
    const towers = siamese(false);
    towers.setWeights([
      ...shared.getLayer('embed').getWeights(),
      ...shared.getLayer('embed').getWeights(),
      ...shared.getLayer('match').getWeights(),
    ]);
    const [gaK, gaB, gbK, gbB] = await gradients(towers, d);
    expectValues(
      g[0],
      gaK.map((v, i) => v + gbK[i]),
      { atol: 1e-5, rtol: 1e-4 },
      'kernel',
    );
    expectValues(
      g[1],
      gaB.map((v, i) => v + gbB[i]),
      { atol: 1e-5, rtol: 1e-4 },
      'bias',
    );
    // Both branches contribute: neither alone is the gradient.
    expect(gaK.some((v, i) => Math.abs(v - g[0][i]) > 1e-3)).toBe(true);
    expect(gbK.some((v, i) => Math.abs(v - g[0][i]) > 1e-3)).toBe(true);

    // Central differences of the loss (testOnBatch: the same loss without training) in each shared weight.
    const eps = 1e-2;
    const weights = shared.getWeights();
    const fd: number[][] = [];
    for (const w of [0, 1]) {
      const values = flat(weights[w]);
      const out: number[] = [];
      for (let j = 0; j < values.length; j++) {
        const lossAt = async (delta: number): Promise<number> => {
          const moved = values.slice();
          moved[j] += delta;
          const t = tensor(moved, weights[w].shape);
          shared.setWeights(weights.map((x, k) => (k === w ? t : x)));
          t.dispose();
          return (await shared.testOnBatch([d.a, d.b], d.y)).loss;
        };
        out.push(((await lossAt(eps)) - (await lossAt(-eps))) / (2 * eps));
      }
      fd.push(out);
    }
    shared.setWeights(weights);
    dispose(weights);
    expectValues(g[0], fd[0], { atol: 2e-3, rtol: 2e-2 }, 'kernel vs finite differences');
    expectValues(g[1], fd[1], { atol: 2e-3, rtol: 2e-2 }, 'bias vs finite differences');
  });

  it('trains, keeps memory flat, and reloads sharing the layer', async () => {
    const m = siamese();
    m.compile({
      optimizer: optimizers.Adam({ learningRate: 0.05 }),
      loss: 'binary_crossentropy',
      metrics: ['accuracy'],
    });
    const d = pairs(32, 5);
    await m.trainOnBatch([d.a, d.b], d.y);
    const tensors = memory().numTensors;
    const h = await m.fit([d.a, d.b], d.y, { epochs: 20, batchSize: 8, verbose: 0 });
    expect(h.history.loss[19]).toBeLessThan(h.history.loss[0]);
    expect(h.history.accuracy[19]).toBeGreaterThanOrEqual(0.9);
    expect(memory().numTensors).toBe(tensors);
    await m.save(dir());
    const loaded = await loadModel(dir());
    expect(loaded.namedModelWeights().map(([k]) => k)).toEqual([
      'embed/kernel',
      'embed/bias',
      'match/kernel',
      'match/bias',
    ]);
    expectValues(loaded.predict([d.a, d.b]), flat(m.predict([d.a, d.b])), { atol: 0, rtol: 0 });
    // Still one layer at two nodes: moving its weights moves both branches.
    expect(
      (loaded.getConfig().layers as { config: { name: string }; inboundNodes: unknown[] }[]).find(
        (l) => l.config.name === 'embed',
      )?.inboundNodes,
    ).toEqual([[['a', 0, 0]], [['b', 0, 0]]]);
  });
});
