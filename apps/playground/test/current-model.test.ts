import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { Dense, Flatten, type Model, Sequential, modelToArtifacts } from '@tsdl/keras';
import { exportOnnx } from '@tsdl/onnx/export-keras';
import { ShapeError, memory, seed, setBackend, tensor } from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { readModelFiles } from '../src/model-files';
import { type CurrentModel, classify, describeLoaded, disposeModel, openModel } from '../src/worker/current-model';
import { buildModel } from '../src/worker/models';
import { tfjsFiles } from './tfjs-files';

/**
 * Loading chosen files as the playground's current model, in Node on the CPU
 * backend: a TF.js model.json with its shards and .onnx files (PyTorch's
 * exports and tsdl's own) become models that classify the page's 784 pixels
 * with the answers of the model they came from, and a model that does not
 * take 28×28 images or give 10 outputs is refused with both shapes named,
 * leaving nothing allocated.
 */

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../packages/onnx/test/fixtures');
const fixtureFile = (name: string) => new File([readFileSync(join(FIXTURES, name))], name);
const fixtureJson = (name: string) =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as {
    inputs: Record<string, { data: number[] }>;
    outputs: Record<string, { data: number[] }>;
  };

beforeAll(() => {
  setBackend(cpu());
});

/** Seeded pixels in [0, 1) for `n` images. */
function pixels(n: number, s = 1): Float32Array {
  const out = new Float32Array(n * 784);
  let x = s;
  for (let i = 0; i < out.length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out[i] = x / 2147483648;
  }
  return out;
}

/** The keras model's own outputs for the pixels, reshaped to its input. */
function predict(model: Model, p: Float32Array, sample: number[]): number[] {
  const x = tensor(p, [p.length / 784, ...sample]);
  const y = model.predict(x);
  const v = Array.from(y.dataSync() as Float32Array);
  x.dispose();
  y.dispose();
  return v;
}

const expectClose = (got: ArrayLike<number>, want: ArrayLike<number>, digits: number) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], digits);
};

/** Files of a TF.js model as the file input gives them. */
async function tfjsChosen(model: Model, shards = 2): Promise<File[]> {
  const { json, files } = await tfjsFiles(model, shards);
  return [new File([JSON.stringify(json)], 'model.json'), ...files.map(([name, b]) => new File([b as BlobPart], name))];
}

/** Expects opening the files to fail with a ShapeError and to leave every tensor freed. */
async function expectRefused(files: File[], message: string): Promise<void> {
  const chosen = await readModelFiles(files);
  const before = memory();
  const err = await openModel(chosen).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ShapeError);
  expect((err as Error).message).toBe(message);
  expect(memory().numTensors).toBe(before.numTensors);
  expect(memory().numBytes).toBe(before.numBytes);
}

describe("the playground's current model, from chosen files", () => {
  it('loads a TF.js model.json with its two shards: it predicts as the model it was written from, and can be trained', async () => {
    seed(3);
    const mlp = buildModel('mlp');
    const files = await tfjsChosen(mlp);
    const current = await openModel(await readModelFiles(files));
    expect(current).toMatchObject({ kind: 'keras', source: 'tfjs', name: 'model.json', sample: [28, 28, 1] });
    const p = pixels(3);
    expectClose(await classify(current, p, 3), predict(mlp, p, [28, 28, 1]), 6);
    expect(describeLoaded(current)).toEqual({
      source: 'tfjs',
      name: 'model.json',
      model: 'mlp',
      parameters: 101_770,
      input: '[batch, 28, 28, 1]',
      trainable: true,
    });
    // A keras model: one training step moves its weights.
    if (current.kind !== 'keras') throw new Error('not keras');
    current.model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const x = tensor(p, [3, 28, 28, 1]);
    const y = tensor(Int32Array.from([1, 2, 3]), [3], 'int32');
    await current.model.fit(x, y, { epochs: 1, verbose: 0 });
    expect(Array.from(await classify(current, p, 3))).not.toEqual(predict(mlp, p, [28, 28, 1]));
    x.dispose();
    y.dispose();
    disposeModel(current);
    mlp.dispose();
  });

  it('takes flat [784] and [28, 28] keras inputs too', async () => {
    for (const [layers, sample] of [
      [[new Dense({ units: 10, activation: 'softmax', inputShape: [784] })], [784]],
      [
        [new Flatten({ inputShape: [28, 28] }), new Dense({ units: 10, activation: 'softmax' })],
        [28, 28],
      ],
    ] as const) {
      const model = new Sequential([...layers]);
      const current = await openModel(await readModelFiles(await tfjsChosen(model, 1)));
      expect(current.sample).toEqual(sample);
      const p = pixels(2, 7);
      expectClose(await classify(current, p, 2), predict(model, p, [...sample]), 6);
      disposeModel(current);
      model.dispose();
    }
  });

  it('refuses a TF.js model that does not take 28×28 images or give 10 outputs, naming the shapes', async () => {
    const wide = new Sequential([new Dense({ units: 10, inputShape: [32, 32, 3] })]);
    await expectRefused(
      await tfjsChosen(wide),
      'model.json takes input [batch, 32, 32, 3] and gives [batch, 32, 32, 10]; the playground needs one 28×28 grey image per sample ([784], [28, 28], [28, 28, 1], after the batch axis) and 10 outputs, one per digit',
    );
    const five = new Sequential([new Dense({ units: 5, inputShape: [784] })]);
    await expectRefused(
      await tfjsChosen(five),
      'model.json takes input [batch, 784] and gives [batch, 5]; the playground needs one 28×28 grey image per sample ([784], [28, 28], [28, 28, 1], after the batch axis) and 10 outputs, one per digit',
    );
    wide.dispose();
    five.dispose();
  });

  it("runs PyTorch's MNIST MLP export (NCHW [batch, 1, 28, 28], softmax outputs) with PyTorch's answers", async () => {
    const current = await openModel(await readModelFiles([fixtureFile('mlp.onnx')]));
    expect(current).toMatchObject({
      kind: 'onnx',
      name: 'mlp.onnx',
      sample: [1, 28, 28],
      batch: null,
      input: 'image',
      output: 'probabilities',
      softmax: false,
    });
    const f = fixtureJson('mlp.json');
    expectClose(await classify(current, Float32Array.from(f.inputs.image.data), 3), f.outputs.probabilities.data, 5);
    expect(describeLoaded(current)).toMatchObject({
      source: 'onnx',
      name: 'mlp.onnx',
      model: 'onnx',
      parameters: null,
      input: "'image' [batch, 1, 28, 28]",
      trainable: false,
      softmaxed: false,
    });
    expect(describeLoaded(current).detail).toMatch(/^opset 13, pytorch /);
    disposeModel(current);
  });

  it('refuses an ONNX model for other images, naming its shapes, and frees its weights', async () => {
    // The CNN fixture takes 16×16 images and gives 10 log-probabilities.
    await expectRefused(
      [fixtureFile('cnn.onnx')],
      'cnn.onnx takes input [batch, 1, 16, 16] and gives [batch, 10]; the playground needs one 28×28 grey image per sample ([784], [28, 28], [28, 28, 1], [1, 28, 28], after the batch axis) and 10 outputs, one per digit',
    );
    await expectRefused(
      [fixtureFile('gru.onnx')],
      'gru.onnx has 2 inputs and 2 outputs; the playground needs one image input and one output of 10 scores',
    );
  });

  it('shows the softmax of an ONNX model that gives logits, and runs a fixed batch size in padded chunks', async () => {
    seed(5);
    const logits = new Sequential([new Flatten({ inputShape: [28, 28, 1] }), new Dense({ units: 10 })]);
    const sample = tensor(new Float32Array(2 * 784), [2, 28, 28, 1]);
    const bytes = await exportOnnx(logits, sample, { dynamicBatch: false });
    sample.dispose();
    const current: CurrentModel = await openModel({ format: 'onnx', name: 'logits.onnx', bytes });
    expect(current).toMatchObject({ kind: 'onnx', sample: [28, 28, 1], batch: 2, softmax: true });
    // Five images through a graph that takes two at a time: three runs, the last padded.
    const p = pixels(5, 11);
    const x = tensor(p, [5, 28, 28, 1]);
    const y = logits.predict(x);
    const want = y.softmax(-1);
    expectClose(await classify(current, p, 5), want.dataSync() as Float32Array, 5);
    expect(describeLoaded(current).softmaxed).toBe(true);
    for (const t of [x, y, want]) t.dispose();
    disposeModel(current);
    logits.dispose();
  });

  it("still loads tsdl's own files, with the input shape their config names", async () => {
    const mlp = buildModel('mlp');
    const saved = await modelToArtifacts(mlp);
    const current = await openModel({ format: 'tsdl', model: { config: saved.config, weights: saved.weights } });
    expect(current).toMatchObject({ kind: 'keras', source: 'tsdl', sample: [28, 28, 1] });
    expect(describeLoaded(current)).toMatchObject({ source: 'tsdl', model: 'mlp', parameters: 101_770 });
    const p = pixels(1, 2);
    expectClose(await classify(current, p, 1), predict(mlp, p, [28, 28, 1]), 6);
    disposeModel(current);
    mlp.dispose();
  });
});
