import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DataFormatError, memory, tensor } from '@tsdl/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Dense,
  GRU,
  type Model,
  Sequential,
  UpSampling2D,
  loadTfjsModel,
  modelToTfjsArtifacts,
  saveTfjsModel,
} from '../src/index';
import { seededNumbers as seededNumbersArray } from '@tsdl/test-utils';
import { expectValues, thrown, useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Artifacts = tf.io.ModelArtifacts;

/** What TF.js' save hands an IO handler (model.json's topology, the weight entries and bytes). */
async function artifactsOf(m: tf.LayersModel): Promise<Artifacts> {
  let out: Artifacts | null = null;
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      out = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out as unknown as Artifacts;
}

/** Writes artifacts as tfjs-node's file:// handler does: model.json and one weights.bin. */
async function writeTfjsDir(
  dir: string,
  a: Artifacts,
  specs = a.weightSpecs,
  data = a.weightData as ArrayBuffer,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const json = {
    modelTopology: a.modelTopology,
    format: a.format,
    generatedBy: a.generatedBy,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  };
  await writeFile(join(dir, 'model.json'), JSON.stringify(json));
  await writeFile(join(dir, 'weights.bin'), new Uint8Array(data));
  return join(dir, 'model.json');
}

/** Random weights for every variable, so a wrong gate order or layout cannot pass by luck of zero biases. */
function randomize(m: tf.LayersModel, seed: number): void {
  m.setWeights(m.getWeights().map((w, i) => tf.tensor(seededNumbersArray(w.size, seed + i, -0.5, 0.5), w.shape)));
}

function tfPredict(m: tf.LayersModel, x: number[], shape: number[]): Float32Array {
  return tf.tidy(() => (m.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
}

function ourPredict(m: Model, x: number[], shape: number[]): Float32Array {
  const input = tensor(x, shape);
  const out = m.predict(input);
  const v = out.dataSync() as Float32Array;
  input.dispose();
  out.dispose();
  return v;
}

/** TF.js models covering the layer kinds of the MNIST, CNN, text and sequence examples. */
const MODELS: Record<string, { make: () => tf.LayersModel; input: number[]; int?: number }> = {
  mlp: {
    make: () =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [12], units: 16, activation: 'relu' }),
          tf.layers.dropout({ rate: 0.2 }),
          tf.layers.dense({ units: 5, activation: 'softmax' }),
        ],
      }),
    input: [12],
  },
  cnn: {
    make: () =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [9, 9, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tf.layers.batchNormalization(),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 3, kernelSize: 2, strides: 2 }),
          tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3, activation: 'sigmoid' }),
        ],
      }),
    input: [9, 9, 2],
  },
  lstm: {
    make: () =>
      tf.sequential({
        layers: [
          tf.layers.embedding({ inputDim: 20, outputDim: 6, inputLength: 7 }),
          tf.layers.lstm({ units: 5, returnSequences: true }),
          tf.layers.globalAveragePooling1d(),
          tf.layers.dense({ units: 2 }),
        ],
      }),
    input: [7],
    int: 20,
  },
  gru: {
    make: () =>
      tf.sequential({
        layers: [
          tf.layers.bidirectional({
            layer: tf.layers.gru({ units: 4, returnSequences: true }) as tf.RNN,
            inputShape: [6, 3],
          }),
          tf.layers.simpleRNN({ units: 3 }),
          tf.layers.dense({ units: 2, activation: 'tanh' }),
        ],
      }),
    input: [6, 3],
  },
  conv1d: {
    make: () =>
      tf.sequential({
        layers: [
          tf.layers.conv1d({ inputShape: [10, 3], filters: 4, kernelSize: 3, activation: 'elu' }),
          tf.layers.maxPooling1d({ poolSize: 2 }),
          tf.layers.layerNormalization(),
          tf.layers.globalMaxPooling1d(),
          tf.layers.dense({ units: 2, activation: 'selu' }),
        ],
      }),
    input: [10, 3],
  },
  convZoo: {
    make: () =>
      tf.sequential({
        layers: [
          tf.layers.zeroPadding2d({ inputShape: [6, 6, 2], padding: 1 }),
          tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }),
          tf.layers.reLU({ maxValue: 0.6 }),
          tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }),
          tf.layers.leakyReLU({ alpha: 0.1 }),
          tf.layers.cropping2D({
            cropping: [
              [1, 1],
              [2, 0],
            ],
          }),
          tf.layers.separableConv2d({ filters: 4, kernelSize: 2, depthMultiplier: 2 }),
          tf.layers.prelu({}),
          tf.layers.upSampling2d({ size: [2, 1] }),
          tf.layers.elu({}),
          tf.layers.upSampling2d({ size: [1, 2], interpolation: 'bilinear' }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({ units: 3 }),
          tf.layers.softmax({}),
        ],
      }),
    input: [6, 6, 2],
  },
  shapeZoo: {
    make: () =>
      tf.sequential({
        layers: [
          tf.layers.permute({ inputShape: [5, 3], dims: [2, 1] }),
          tf.layers.thresholdedReLU({ theta: 0.1 }),
          tf.layers.gaussianNoise({ stddev: 0.3 }),
          tf.layers.spatialDropout1d({ rate: 0.3 }),
          tf.layers.flatten(),
          tf.layers.repeatVector({ n: 4 }),
          tf.layers.alphaDropout({ rate: 0.2 }),
          tf.layers.gaussianDropout({ rate: 0.2 }),
          tf.layers.globalMaxPooling1d(),
          tf.layers.dense({ units: 2, activation: 'softsign' }),
        ],
      }),
    input: [5, 3],
  },
  preprocessing: {
    make: () =>
      tf.sequential({
        layers: [
          tf.layers.rescaling({ inputShape: [6, 7, 1], scale: 0.5, offset: -0.25 }),
          // TF.js' Resizing and CenterCrop compute wrong output shapes (the next layer sees the input's width), so they are tested in tsdl's own tests.
          tf.layers.flatten(),
          tf.layers.dense({ units: 2, activation: 'relu6' }),
        ],
      }),
    input: [6, 7, 1],
  },
};

function batchInput(
  spec: { input: number[]; int?: number },
  n: number,
  seed: number,
): { x: number[]; shape: number[] } {
  const size = spec.input.reduce((a, b) => a * b, 1) * n;
  const x = spec.int
    ? seededNumbersArray(size, seed, 0, spec.int).map(Math.floor)
    : seededNumbersArray(size, seed, -1, 1);
  return { x, shape: [n, ...spec.input] };
}

describe('loadTfjsModel reads TF.js Layers models', () => {
  for (const [name, spec] of Object.entries(MODELS)) {
    it(`${name}: predictions equal TF.js' (1e-5)`, async () => {
      const tm = spec.make();
      randomize(tm, name.length * 17);
      const path = await writeTfjsDir(join(tempDir(), name), await artifactsOf(tm));
      const before = memory().numTensors;
      const m = await loadTfjsModel(path);
      const { x, shape } = batchInput(spec, 3, 5);
      expectValues(ourPredict(m, x, shape), tfPredict(tm, x, shape), { atol: 1e-5, rtol: 1e-4 });
      m.dispose();
      expect(memory().numTensors).toBe(before);
      tm.dispose();
    });
  }

  it('a functional model with two inputs and a Concatenate', async () => {
    const a = tf.input({ shape: [4], name: 'left' });
    const b = tf.input({ shape: [3], name: 'right' });
    const h = tf.layers
      .concatenate()
      .apply([tf.layers.dense({ units: 5, activation: 'relu' }).apply(a) as tf.SymbolicTensor, b]) as tf.SymbolicTensor;
    const tm = tf.model({ inputs: [a, b], outputs: tf.layers.dense({ units: 2 }).apply(h) as tf.SymbolicTensor });
    randomize(tm, 3);
    const m = await loadTfjsModel(await artifactsOf(tm));
    const xa = seededNumbersArray(8, 1, -1, 1);
    const xb = seededNumbersArray(6, 2, -1, 1);
    const want = tf.tidy(() => (tm.predict([tf.tensor(xa, [2, 4]), tf.tensor(xb, [2, 3])]) as tf.Tensor).dataSync());
    const ta = tensor(xa, [2, 4]);
    const tb = tensor(xb, [2, 3]);
    const got = m.predict([ta, tb]) as unknown as { dataSync(): Float32Array; dispose(): void };
    expectValues(got.dataSync(), want);
    got.dispose();
    ta.dispose();
    tb.dispose();
    m.dispose();
  });

  it('quantized weights (uint8, uint16, float16) dequantize as tf.io.decodeWeights does', async () => {
    const tm = MODELS.mlp.make();
    randomize(tm, 9);
    const a = await artifactsOf(tm);
    const values = new Float32Array(a.weightData as ArrayBuffer);
    const specs: tf.io.WeightsManifestEntry[] = [];
    const parts: Uint8Array[] = [];
    let at = 0;
    (a.weightSpecs as tf.io.WeightsManifestEntry[]).forEach((s, i) => {
      const n = s.shape.reduce((p, q) => p * q, 1);
      const w = values.subarray(at, at + n);
      at += n;
      const kind = (['uint8', 'uint16', 'float16'] as const)[i % 3];
      if (kind === 'float16') {
        const h = new Uint16Array(n);
        for (let k = 0; k < n; k++) h[k] = toHalf(w[k]);
        parts.push(new Uint8Array(h.buffer));
        specs.push({ ...s, quantization: { dtype: 'float16' } });
      } else {
        const levels = kind === 'uint8' ? 255 : 65535;
        const min = Math.min(...w);
        const scale = (Math.max(...w) - min) / levels || 1;
        const q = kind === 'uint8' ? new Uint8Array(n) : new Uint16Array(n);
        for (let k = 0; k < n; k++) q[k] = Math.round((w[k] - min) / scale);
        parts.push(new Uint8Array(q.buffer));
        specs.push({ ...s, quantization: { dtype: kind, min, scale } });
      }
    });
    const data = new Uint8Array(parts.reduce((p, q) => p + q.length, 0));
    parts.reduce((off, p) => (data.set(p, off), off + p.length), 0);
    const m = await loadTfjsModel(await writeTfjsDir(join(tempDir(), 'quantized'), a, specs, data.buffer));
    const reference = tf.io.decodeWeights(data.buffer, specs);
    const ours = new Map(m.namedModelWeights());
    for (const s of a.weightSpecs as tf.io.WeightsManifestEntry[]) {
      // TF.js names the layers dense_Dense1 …; tsdl keeps the file's names.
      expectValues(
        (ours.get(s.name) as { dataSync(): Float32Array }).dataSync(),
        reference[s.name].dataSync() as Float32Array,
        { atol: 0, rtol: 0 },
        s.name,
      );
    }
    m.dispose();
  });

  it('reads over http, with shards split across files', async () => {
    const tm = MODELS.cnn.make();
    randomize(tm, 4);
    const a = await artifactsOf(tm);
    const bytes = new Uint8Array(a.weightData as ArrayBuffer);
    const dir = join(tempDir(), 'served');
    await mkdir(dir);
    const cut = 100;
    await writeFile(join(dir, 'group1-shard1of2.bin'), bytes.subarray(0, cut));
    await writeFile(join(dir, 'group1-shard2of2.bin'), bytes.subarray(cut));
    const json = {
      modelTopology: a.modelTopology,
      weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: a.weightSpecs }],
    };
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    await withServer(dir, async (url) => {
      const m = await loadTfjsModel(`${url}/model.json`);
      const { x, shape } = batchInput(MODELS.cnn, 2, 8);
      expectValues(ourPredict(m, x, shape), tfPredict(tm, x, shape));
      m.dispose();
    });
  });
});

describe('saveTfjsModel writes what tf.loadLayersModel reads', () => {
  function ours(): Sequential {
    return new Sequential({
      layers: [
        new Dense({ units: 6, activation: 'relu', inputShape: [4], seed: 1 }),
        new Dense({ units: 3, activation: 'softmax', seed: 2 }),
      ],
    });
  }

  it('TF.js loads the files over http and predicts the same values', async () => {
    const m = ours();
    const dir = join(tempDir(), 'out');
    await saveTfjsModel(m, dir);
    await withServer(dir, async (url) => {
      const tm = await tf.loadLayersModel(`${url}/model.json`);
      const x = seededNumbersArray(8, 3, -1, 1);
      expectValues(tfPredict(tm, x, [2, 4]), ourPredict(m, x, [2, 4]));
      tm.dispose();
    });
    m.dispose();
  });

  it('a second save replaces the first and removes its shard', async () => {
    const dir = join(tempDir(), 'twice');
    const m1 = ours();
    const m2 = ours();
    await saveTfjsModel(m1, dir);
    await saveTfjsModel(m2, dir);
    const files = (await readdir(dir)).sort();
    expect(files.length).toBe(2);
    expect(files).toContain('model.json');
    const loaded = await loadTfjsModel(join(dir, 'model.json'));
    const x = seededNumbersArray(4, 6, -1, 1);
    expectValues(ourPredict(loaded, x, [1, 4]), ourPredict(m2, x, [1, 4]), { atol: 0, rtol: 0 });
    for (const m of [m1, m2, loaded]) m.dispose();
  });

  it('round trip through artifacts: tf.io.fromMemory', async () => {
    const m = ours();
    const a = await modelToTfjsArtifacts(m);
    const tm = await tf.loadLayersModel(tf.io.fromMemory(a as unknown as Artifacts));
    const x = seededNumbersArray(4, 9, -1, 1);
    expectValues(tfPredict(tm, x, [1, 4]), ourPredict(m, x, [1, 4]));
    const back = await loadTfjsModel(a);
    expectValues(ourPredict(back, x, [1, 4]), ourPredict(m, x, [1, 4]), { atol: 0, rtol: 0 });
    for (const d of [m, back]) d.dispose();
    tm.dispose();
  });

  it('refuses what TF.js cannot run, listing every problem', async () => {
    const m = new Sequential({
      layers: [new GRU({ units: 2, inputShape: [3, 2] }), new Dense({ units: 1, activation: 'hard_sigmoid' })],
    });
    const e = await thrown(() => modelToTfjsArtifacts(m));
    expect(e.message).toMatch(/resetAfter is true/);
    expect(e.message).toMatch(/TF\.js has no activation 'hard_sigmoid'/);
    m.dispose();
  });

  it('bilinear UpSampling2D goes to TF.js only with its corner-grid sampling', async () => {
    const layers = (halfPixelCenters: boolean) => [
      new UpSampling2D({ inputShape: [3, 4, 1], size: [2, 3], interpolation: 'bilinear', halfPixelCenters }),
    ];
    const keras3 = new Sequential({ layers: layers(true) });
    expect((await thrown(() => modelToTfjsArtifacts(keras3))).message).toMatch(/half-pixel centres/);
    const legacy = new Sequential({ layers: layers(false) });
    const tm = await tf.loadLayersModel(tf.io.fromMemory((await modelToTfjsArtifacts(legacy)) as unknown as Artifacts));
    const x = seededNumbersArray(12, 4, -1, 1);
    expectValues(tfPredict(tm, x, [1, 3, 4, 1]), ourPredict(legacy, x, [1, 3, 4, 1]));
    tm.dispose();
    for (const m of [keras3, legacy]) m.dispose();
  });
});

describe('untrusted files', () => {
  async function mlpDir(name: string): Promise<{ dir: string; json: any }> {
    const tm = MODELS.mlp.make();
    const dir = join(tempDir(), name);
    await writeTfjsDir(dir, await artifactsOf(tm));
    tm.dispose();
    return { dir, json: JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) };
  }

  async function expectRefused(dir: string, json: unknown, pattern: RegExp): Promise<void> {
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    const before = memory();
    const e = await thrown(() => loadTfjsModel(join(dir, 'model.json')));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toMatch(pattern);
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numBytes).toBe(before.numBytes);
  }

  it('a weight entry larger than the shard', async () => {
    const { dir, json } = await mlpDir('lying');
    json.weightsManifest[0].weights[0].shape = [12, 17];
    await expectRefused(dir, json, /weight data.*is \d+ bytes, but the manifest's 4 weights need/);
  });

  it('a layer config whose units disagree with its weights', async () => {
    const { dir, json } = await mlpDir('units');
    json.modelTopology.config.layers[0].config.units = 3e8;
    await expectRefused(dir, json, /does not hold|has shape/);
  });

  it('a shard path leaving the directory', async () => {
    const { dir, json } = await mlpDir('escape');
    json.weightsManifest[0].paths = ['../escape/weights.bin'];
    await expectRefused(dir, json, /shard paths must be relative names inside the model's directory/);
  });

  it('layers tsdl lacks are all listed', async () => {
    const { dir, json } = await mlpDir('unknown');
    json.modelTopology.config.layers[1].class_name = 'TFSMLayer';
    json.modelTopology.config.layers[2].class_name = 'JaxLayer';
    await expectRefused(dir, json, /no layer class for TFSMLayer, JaxLayer/);
  });

  it('a regularizer is refused, not dropped', async () => {
    const { dir, json } = await mlpDir('regularizer');
    json.modelTopology.config.layers[0].config.kernel_regularizer = { class_name: 'L1L2', config: { l1: 0.01, l2: 0 } };
    await expectRefused(dir, json, /kernelRegularizer is set/);
  });

  it('an option tsdl does not know is named', async () => {
    const { dir, json } = await mlpDir('option');
    json.modelTopology.config.layers[0].config.lora_rank = 4;
    await expectRefused(dir, json, /unknown option 'loraRank'/);
  });

  it('not JSON, and a graph model', async () => {
    const { dir } = await mlpDir('garbage');
    await writeFile(join(dir, 'model.json'), '{"modelTopology": {"class_name": "Sequential",');
    expect(await thrown(() => loadTfjsModel(join(dir, 'model.json')))).toBeInstanceOf(DataFormatError);
    await expectRefused(dir, { format: 'graph-model', modelTopology: null }, /not a TF\.js Layers model/);
  });
});

/** A float32 → IEEE half conversion (round to nearest), for the quantization test. */
function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const i = new Uint32Array(f.buffer)[0];
  const sign = (i >>> 16) & 0x8000;
  const exp = ((i >>> 23) & 0xff) - 127 + 15;
  const mant = i & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | ((exp << 10) + Math.round(mant / 8192));
}

/** Serves `dir` over http on a free port for the duration of `fn`. */
async function withServer(dir: string, fn: (url: string) => Promise<void>): Promise<void> {
  const server = createServer(async (req, res) => {
    try {
      const body = await readFile(join(dir, decodeURIComponent((req.url ?? '/').slice(1))));
      res.writeHead(200);
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

afterAll(() => {
  tf.disposeVariables();
});
