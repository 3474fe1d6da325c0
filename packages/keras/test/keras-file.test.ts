import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  BatchNormalization,
  Bidirectional,
  Conv2D,
  Dense,
  Embedding,
  Flatten,
  GRU,
  Input,
  LayerNormalization,
  LSTM,
  MultiHeadAttention,
  type Model,
  Sequential,
  TimeDistributed,
  model as functionalModel,
} from '../src/index';
import { loadKerasFile, modelFromKerasBytes, modelToKerasBytes, saveKerasFile } from '../src/keras-file';
import { kerasLayerKeys, kerasSnakeCase, kerasVarGroups } from '../src/io/keras-file/keras-layout';
import { expectValues, seeded, useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string): string => join(FIXTURES, 'keras-files', `${name}.keras`);

interface Case {
  inputs: { shape: number[]; data: number[] }[];
  outputs: { shape: number[]; data: number[] }[];
}
const expected = async (): Promise<Record<string, Case>> =>
  JSON.parse(await readFile(join(FIXTURES, 'keras-files.json'), 'utf8'));

/** Inputs of a fixture as tensors (the LSTM model's are token ids). */
const inputsOf = (name: string, c: Case): Tensor[] =>
  c.inputs.map((x) => tensor(x.data, x.shape, name === 'lstm' ? 'int32' : 'float32'));

function predict(m: Model, xs: Tensor[]): Float32Array {
  const y = m.predict(xs.length === 1 ? xs[0] : xs) as Tensor;
  const v = y.dataSync() as Float32Array;
  y.dispose();
  return v;
}

/** A model config with its first layer's inputShape dropped (a .keras file keeps it in the InputLayer). */
function withoutInputShape(c: Record<string, unknown>): Record<string, unknown> {
  const layers = (c.layers as { className: string; config: Record<string, unknown> }[]).map((l) => {
    const { inputShape: _drop, ...config } = l.config;
    return { ...l, config };
  });
  return { ...c, layers };
}

const NAMES = ['mlp', 'cnn', 'lstm', 'two_inputs', 'attention'];

describe('.keras files written as Keras 3 does (fixtures from make_keras_files.py)', () => {
  for (const name of NAMES) {
    it(`${name}: loads and predicts what numpy computed (1e-5)`, async () => {
      const c = (await expected())[name];
      const before = memory().numTensors;
      const m = await loadKerasFile(fixture(name));
      const xs = inputsOf(name, c);
      expectValues(predict(m, xs), c.outputs[0].data, { atol: 1e-5, rtol: 0 }, name);
      xs.forEach((x) => x.dispose());
      m.dispose();
      expect(memory().numTensors).toBe(before);
    });
  }

  it('maps groups by class counter, not layer name, and ignores the optimizer state', async () => {
    // mlp.keras: layers 'hidden' and 'probs' are stored as layers/dense and layers/dense_1; it also holds optimizer/vars.
    const m = await loadKerasFile(fixture('mlp'));
    expect(m.className).toBe('Sequential');
    expect(m.layers.map((l) => l.name)).toEqual(['hidden', 'dropout', 'probs']);
    expect(m.layers[0].getWeights().map((w) => w.shape)).toEqual([[4, 8], [8]]);
    m.dispose();
  });

  it('reads the bytes of a file as well as its path (Uint8Array and ArrayBuffer)', async () => {
    const bytes = new Uint8Array(await readFile(fixture('cnn')));
    const c = (await expected()).cnn;
    for (const from of [bytes, bytes.slice().buffer]) {
      const m = await loadKerasFile(from);
      const xs = inputsOf('cnn', c);
      expectValues(predict(m, xs), c.outputs[0].data, { atol: 1e-5, rtol: 0 });
      xs.forEach((x) => x.dispose());
      m.dispose();
    }
  });
});

describe('writing .keras files', () => {
  for (const name of NAMES) {
    it(`${name}: save → load gives the same config and predictions`, async () => {
      const c = (await expected())[name];
      const m = await loadKerasFile(fixture(name));
      const bytes = await modelToKerasBytes(m);
      const back = await modelFromKerasBytes(bytes, `${name}.keras`);
      expect(back.getConfig()).toEqual(m.getConfig());
      const xs = inputsOf(name, c);
      expect(Array.from(predict(back, xs))).toEqual(Array.from(predict(m, xs)));
      // The written file computes what Keras' layout says (make_keras_files.py --verify reads these with h5py).
      const verifyDir = process.env.TSDL_KERAS_VERIFY_DIR;
      if (verifyDir) {
        await mkdir(verifyDir, { recursive: true });
        await saveKerasFile(m, join(verifyDir, `${name}.keras`));
      }
      xs.forEach((x) => x.dispose());
      m.dispose();
      back.dispose();
    });
  }

  it('round-trips models built in tsdl: wrappers, frozen BatchNormalization, attention', async () => {
    const seq = new Sequential({
      layers: [
        new Embedding({ inputDim: 12, outputDim: 4, inputShape: [6] }),
        new Bidirectional(new GRU({ units: 3, returnSequences: true })),
        new TimeDistributed(new Dense(5)),
        new LSTM(4),
        new Dense(2),
      ],
    });
    const x = Input({ shape: [5, 4, 3] });
    const conv = new Conv2D({ filters: 2, kernelSize: 3, padding: 'same' }).apply(x);
    const bn = new BatchNormalization({ trainable: false });
    const y = new Dense(3).apply(new Flatten().apply(bn.apply(conv)));
    const cnn = functionalModel({ inputs: x, outputs: y });
    const t = Input({ shape: [4, 6] });
    const att = new MultiHeadAttention({ numHeads: 2, keyDim: 3 }).apply(t, t) as ReturnType<Dense['apply']>;
    const transformer = functionalModel({ inputs: t, outputs: new LayerNormalization().apply(att) });
    const cases: [Model, Tensor][] = [
      [seq, tensor([1, 5, 7, 0, 11, 3, 2, 2, 9, 4, 6, 8], [2, 6], 'int32')],
      [cnn, seeded([2, 5, 4, 3], 3)],
      [transformer, seeded([2, 4, 6], 4)],
    ];
    for (const [m, input] of cases) {
      // Weights that are not their initial values, so a swapped pair cannot pass.
      m.setWeights(
        m.getWeights().map((w, i) => {
          const s = seeded([...w.shape], 100 + i, 0.1, 0.9);
          w.dispose();
          return s;
        }),
      );
      const path = join(tempDir(), `${m.name}.keras`);
      await saveKerasFile(m, path);
      const back = await loadKerasFile(path);
      // A Keras 3 file gives the input shape to an InputLayer, not to the first layer's config.
      expect(back.getConfig()).toEqual(withoutInputShape(m.getConfig()));
      expect(Array.from(predict(back, [input]))).toEqual(Array.from(predict(m, [input])));
      input.dispose();
      m.dispose();
      back.dispose();
    }
  });

  it('replaces an existing file and leaves no temporary behind', async () => {
    const dir = join(tempDir(), 'replace');
    await mkdir(dir);
    const path = join(dir, 'model.keras');
    await writeFile(path, 'an older file');
    const m = await loadKerasFile(fixture('mlp'));
    await saveKerasFile(m, path);
    expect(await readdir(dir)).toEqual(['model.keras']);
    const back = await loadKerasFile(path);
    expect(back.layers.map((l) => l.name)).toEqual(['hidden', 'dropout', 'probs']);
    m.dispose();
    back.dispose();
  });
});

describe("Keras' layout of a layer's variables", () => {
  it('names groups by snake_case class name and a counter, as Keras', () => {
    expect(
      [
        'Conv2D',
        'BatchNormalization',
        'MultiHeadAttention',
        'LSTM',
        'PReLU',
        'Conv2DTranspose',
        'GlobalAveragePooling1D',
      ].map(kerasSnakeCase),
    ).toEqual([
      'conv2d',
      'batch_normalization',
      'multi_head_attention',
      'lstm',
      'p_re_lu',
      'conv2d_transpose',
      'global_average_pooling1d',
    ]);
    expect(kerasLayerKeys(['InputLayer', 'Dense', 'Dropout', 'Dense', 'Dense'])).toEqual([
      'input_layer',
      'dense',
      'dropout',
      'dense_1',
      'dense_2',
    ]);
  });

  it('puts trainable variables first, then the others, and sub-layers under their attributes', () => {
    const bn = new BatchNormalization({ inputShape: [3], center: false });
    const lstm = new LSTM({ units: 2, inputShape: [4, 3] });
    const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 2, inputShape: [4, 3] });
    const bi = new Bidirectional(new GRU({ units: 2 }), { inputShape: [4, 3] });
    bi.ensureBuilt([null, 4, 3]);
    const shape = (g: ReturnType<typeof kerasVarGroups>): [string, string, string[]][] =>
      g.map((x) => [x.path, x.owner, x.weights.map(([n]) => n.split('/').slice(1).join('/'))]);
    expect(shape(kerasVarGroups(bn))).toEqual([['', bn.name, ['gamma', 'moving_mean', 'moving_variance']]]);
    expect(shape(kerasVarGroups(lstm))).toEqual([['cell', 'lstm_cell', ['kernel', 'recurrent_kernel', 'bias']]]);
    expect(shape(kerasVarGroups(mha))).toEqual([
      ['_query_dense', 'query', ['query/kernel', 'query/bias']],
      ['_key_dense', 'key', ['key/kernel', 'key/bias']],
      ['_value_dense', 'value', ['value/kernel', 'value/bias']],
      ['_output_dense', 'attention_output', ['attention_output/kernel', 'attention_output/bias']],
    ]);
    expect(shape(kerasVarGroups(bi)).map(([p]) => p)).toEqual(['forward_layer/cell', 'backward_layer/cell']);
    for (const l of [bn, lstm, mha, bi]) l.dispose();
  });
});
