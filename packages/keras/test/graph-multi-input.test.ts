import { ArgumentError, ShapeError, type Tensor, dispose, memory, tensor } from '@tsdl/tensor';
import { seededNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import { Concatenate, Dense, Input, InputLayer, loadModel, model, optimizers } from '../src/index';
import { expectValues, flat, thrown, useCpu, useTempDir } from './helpers';

useCpu();

/** Two inputs joined by Concatenate into one linear unit: y = [a, b] · kernel + bias. */
function twoInputs() {
  const a = Input({ shape: [2], name: 'a_in' });
  const b = Input({ shape: [3], name: 'b_in' });
  const joined = new Concatenate({ name: 'cat' }).apply([a, b]);
  const out = new Dense({ units: 1, name: 'out', seed: 1 }).apply(joined);
  return model({ inputs: [a, b], outputs: out, name: 'two_inputs' });
}

/** The known answer: y = 2·a0 − a1 + 0.5·b0 + b2 − 1. */
const KERNEL = [2, -1, 0.5, 0, 1];
const BIAS = -1;

function data(n: number, seed: number): { a: Tensor; b: Tensor; y: Tensor } {
  const av = seededNumbers(2 * n, seed, -1, 1);
  const bv = seededNumbers(3 * n, seed + 1, -1, 1);
  const y = Array.from({ length: n }, (_, i) => {
    const row = [av[2 * i], av[2 * i + 1], bv[3 * i], bv[3 * i + 1], bv[3 * i + 2]];
    return row.reduce((s, v, k) => s + v * KERNEL[k], BIAS);
  });
  return { a: tensor(av, [n, 2]), b: tensor(bv, [n, 3]), y: tensor(y, [n, 1]) };
}

describe('a model with two inputs joined by Concatenate', () => {
  const dir = useTempDir();

  it('trains to the known linear answer from a list of inputs', async () => {
    const m = twoInputs();
    const { a, b, y } = data(128, 1);
    m.compile({ optimizer: optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
    const h = await m.fit([a, b], y, { epochs: 60, batchSize: 16, verbose: 0, seed: 2 });
    expect(h.history.loss[59]).toBeLessThan(1e-4);
    const [kernel, bias] = m.getWeights();
    expectValues(kernel, KERNEL, { atol: 0.01, rtol: 0 });
    expectValues(bias, [BIAS], { atol: 0.01, rtol: 0 });
    dispose([kernel, bias]);
  });

  it('takes inputs as a list or as an object keyed by Input name, and predicts the same', async () => {
    const m = twoInputs();
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const { a, b, y } = data(10, 3);
    const byList = m.predict([a, b]);
    const byName = m.predict({ b_in: b, a_in: a });
    expect(byList.shape).toEqual([10, 1]);
    expect(flat(byName)).toEqual(flat(byList));
    // The model's function: Concatenate then Dense.
    const [kernel, bias] = m.getWeights();
    const k = flat(kernel);
    const av = flat(a);
    const bv = flat(b);
    expectValues(
      byList,
      Array.from({ length: 10 }, (_, i) =>
        [av[2 * i], av[2 * i + 1], bv[3 * i], bv[3 * i + 1], bv[3 * i + 2]].reduce(
          (s, v, j) => s + v * k[j],
          flat(bias)[0],
        ),
      ),
    );
    const e1 = await m.evaluate([a, b], y);
    const e2 = await m.evaluate({ a_in: a, b_in: b }, y, { batchSize: 3 });
    expect(e2.loss).toBeCloseTo(e1.loss, 5);
    // Nested JS arrays work per input too.
    expect(flat(m.predict([a.arraySync() as number[][], b.arraySync() as number[][]]))).toEqual(flat(byList));
    expect(m.inputNames).toEqual(['a_in', 'b_in']);
    expect(m.getLayer('a_in')).toBeInstanceOf(InputLayer);
    expect(m.getLayer(0).name).toBe('cat');
    expect(m.getLayer('out').className).toBe('Dense');
    expect(() => m.getLayer('nope')).toThrow(/no layer named 'nope' \(layers: a_in, b_in, cat, out\)/);
    expect(() => m.getLayer(5)).toThrow(/index 5 is out of range; the model has 2 layers/);
  });

  it('summary shows each input and what the merge is connected to', () => {
    const text = twoInputs().summary(false);
    const rows = text.split('\n').filter((l) => /^ \w+ \(/.test(l) && !l.startsWith(' Layer'));
    expect(rows).toEqual([
      ' a_in (InputLayer)              (None, 2)            0           []',
      ' b_in (InputLayer)              (None, 3)            0           []',
      // Keras breaks the list after each entry.
      " cat (Concatenate)              (None, 5)            0           ['a_in[0][0]',",
      " out (Dense)                    (None, 1)            6           ['cat[0][0]']",
    ]);
    expect(text).toContain("['a_in[0][0]',\n" + ' '.repeat(65) + " 'b_in[0][0]']\n");
  });

  it('data that does not fit the inputs is an error naming the input, and frees what was made', async () => {
    const m = twoInputs();
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const { a, b, y } = data(4, 5);
    const oneSample = tensor([1, 2, 3]);
    const rank3 = tensor(new Array(24).fill(0), [4, 2, 3]);
    const before = memory();
    const cases: [() => unknown, new (...args: never[]) => Error, RegExp][] = [
      [
        () => m.predict(a),
        ArgumentError,
        /two_inputs\.predict: the model has 2 inputs \('a_in', 'b_in'\); x must be a list of 2 or an object keyed by name, got a Tensor/,
      ],
      [
        () => m.predict([a]),
        ArgumentError,
        /x must be a list of 2 \(one per input\) or an object keyed by name, got a list of 1/,
      ],
      [() => m.predict({ a_in: a }), ArgumentError, /x for 'b_in' is missing/],
      [
        () => m.predict({ a_in: a, b_in: b, c_in: b }),
        ArgumentError,
        /keyed by the model's inputs \('a_in', 'b_in'\), got an object whose entry 'c_in' names none of them/,
      ],
      [
        () => m.predict([a, [[1, 2, 3]]]),
        ShapeError,
        /x\['a_in'\] \[4,2\] and x\['b_in'\] \[1,3\] have different numbers of samples \(4 vs 1\)/,
      ],
      [
        () => m.predict([a, oneSample]),
        ShapeError,
        /x\['b_in'\] has shape \[3\], one sample without the batch axis; the model expects \(None, 3\): add the batch axis \(shape \[1,3\]\)/,
      ],
      [() => m.predict([a, rank3]), ShapeError, /x\['b_in'\] has shape \[4,2,3\], but the model expects \(None, 3\)/],
      [
        () => m.fit([a, b], [[1], [2]], { verbose: 0 }),
        ShapeError,
        /fit: x\['a_in'\] \[4,2\] and targets \[2,1\] have different numbers of samples/,
      ],
      [
        () => m.evaluate({ a_in: a, b_in: b }, { out: y, other: y }),
        ArgumentError,
        /y must be .* keyed by the model's outputs \('out'\), got an object whose entry 'other'/,
      ],
    ];
    for (const [fn, kind, message] of cases) {
      const e = await thrown(fn);
      expect(e, String(message)).toBeInstanceOf(kind);
      expect(e.message).toMatch(message);
    }
    expect(memory()).toEqual(before);
  });

  it('saves and loads: same inputs, same predictions', async () => {
    const m = twoInputs();
    m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    const { a, b, y } = data(16, 7);
    await m.fit({ a_in: a, b_in: b }, y, { epochs: 2, verbose: 0 });
    await m.save(dir());
    const loaded = await loadModel(dir());
    expect(loaded.inputNames).toEqual(['a_in', 'b_in']);
    expectValues(loaded.predict([a, b]), flat(m.predict([a, b])), { atol: 0, rtol: 0 });
    expect(await loaded.evaluate([a, b], y)).toEqual(await m.evaluate([a, b], y));
  });
});
