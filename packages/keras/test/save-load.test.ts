import { existsSync } from 'node:fs';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFormatError } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  BatchNormalization,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  Input,
  MaxPooling2D,
  type Model,
  Sequential,
  loadModel,
  model,
  modelFromArtifacts,
  modelToArtifacts,
  optimizers,
} from '../src/index';
import { blobs, flat, seeded, thrown, useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

function trainedShape(): Sequential {
  return new Sequential({
    name: 'blob_net',
    layers: [
      new Dense({ units: 6, activation: 'relu', inputShape: [2], seed: 1, name: 'hidden' }),
      new BatchNormalization({ name: 'bn' }),
      new Dropout({ rate: 0.2, name: 'drop' }),
      new Dense({ units: 2, activation: 'softmax', seed: 2, name: 'head' }),
    ],
  });
}

async function trained(): Promise<Sequential> {
  const m = trainedShape();
  m.compile({
    optimizer: optimizers.Adam({ learningRate: 0.01 }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  const { x, y } = blobs(48, 21);
  await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
  return m;
}

/** The data files config.json names (the current save's), as paths. */
async function savedFiles(dir: string): Promise<{ weights: string; optimizer?: string }> {
  const { files } = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  return { weights: join(dir, files.weights.path), optimizer: files.optimizer && join(dir, files.optimizer.path) };
}

/** Replaces a data file with `bytes` and records the new size in config.json: a file damaged inside, not truncated. */
async function replaceFile(dir: string, which: 'weights' | 'optimizer', bytes: Uint8Array): Promise<string> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  const path = join(dir, config.files[which].path);
  await writeFile(path, bytes);
  config.files[which].bytes = bytes.length;
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return path;
}

/** Parses a safetensors file by hand, following the published layout (not the library's decoder). */
function parseByHand(bytes: Uint8Array): {
  headerLength: number;
  headerText: string;
  header: Record<string, any>;
  buffer: Uint8Array;
} {
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
  return { headerLength, headerText, header: JSON.parse(headerText), buffer: bytes.subarray(8 + headerLength) };
}

describe('save and load', () => {
  it('round-trips a trained Sequential model: same predictions, evaluation and compile settings', async () => {
    const m = await trained();
    const dir = join(tempDir(), 'seq');
    await m.save(dir);
    // One config naming one weights file, no optimizer file unless asked for.
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toBe('config.json');
    expect(files[1]).toMatch(/^model\.p\d+-[0-9a-f]{8}\.safetensors$/);
    const loaded = await loadModel(dir);
    expect(loaded).toBeInstanceOf(Sequential);
    expect(loaded.name).toBe('blob_net');
    expect(loaded.layers.map((l) => [l.name, l.className])).toEqual(m.layers.map((l) => [l.name, l.className]));
    const x = seeded([9, 2], 3, -3, 3);
    expect(flat(loaded.predict(x))).toEqual(flat(m.predict(x)));
    const { x: vx, y: vy } = blobs(20, 22);
    expect(await loaded.evaluate(vx, vy)).toEqual(await m.evaluate(vx, vy));
    expect(loaded.summary(false)).toBe(m.summary(false));
  });

  it('writes config.json with the architecture and the compile settings', async () => {
    const m = await trained();
    const dir = join(tempDir(), 'config');
    await m.save(dir);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ format: 'tsdl-keras', version: 1, className: 'Sequential' });
    expect(config.config.name).toBe('blob_net');
    expect(config.config.buildInputShape).toEqual([2]);
    expect(config.config.layers.map((l: { className: string }) => l.className)).toEqual([
      'Dense',
      'BatchNormalization',
      'Dropout',
      'Dense',
    ]);
    expect(config.config.layers[0].config).toMatchObject({
      units: 6,
      activation: 'relu',
      useBias: true,
      kernelInitializer: 'glorot_uniform',
    });
    expect(config.config.layers[1].config).toMatchObject({ momentum: 0.99, epsilon: 0.001, axis: -1 });
    const weights = await readFile(join(dir, config.files.weights.path));
    expect(config.files).toEqual({
      weights: { path: expect.stringMatching(/^model\.p\d+-[0-9a-f]{8}\.safetensors$/), bytes: weights.length },
    });
    expect(config.compileConfig).toEqual({
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
      optimizer: {
        className: 'Adam',
        config: { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false },
      },
    });
  });

  it('stores the weights in the published safetensors layout', async () => {
    const m = await trained();
    const dir = join(tempDir(), 'layout');
    await m.save(dir);
    const bytes = new Uint8Array(await readFile((await savedFiles(dir)).weights));
    const { headerLength, headerText, header, buffer } = parseByHand(bytes);
    // The header is padded with spaces so the data starts 8-byte aligned.
    expect((8 + headerLength) % 8).toBe(0);
    const json = headerText.trimEnd();
    expect(headerText.length - json.length).toBeLessThan(8);
    expect(headerText.slice(json.length)).toMatch(/^ *$/);
    expect(json.endsWith('}')).toBe(true);
    const weights = new Map(m.namedModelWeights());
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    expect(Object.keys(header)[0]).toBe('__metadata__');
    expect(header.__metadata__).toEqual({ format: 'tsdl-keras' });
    // Every weight, '<layer>/<weight>', sorted by name (all F32) as the reference writer lays them out.
    expect(names).toEqual([...weights.keys()].sort());
    expect(names).toEqual([
      'bn/beta',
      'bn/gamma',
      'bn/moving_mean',
      'bn/moving_variance',
      'head/bias',
      'head/kernel',
      'hidden/bias',
      'hidden/kernel',
    ]);
    let offset = 0;
    for (const name of names) {
      const {
        dtype,
        shape,
        data_offsets: [begin, end],
      } = header[name];
      const w = weights.get(name)!;
      expect(dtype).toBe('F32');
      expect(shape).toEqual(w.shape);
      expect(begin).toBe(offset);
      expect(end - begin).toBe(4 * w.size);
      offset = end;
      const dv = new DataView(buffer.buffer, buffer.byteOffset + begin, end - begin);
      const values = Array.from({ length: w.size }, (_, i) => dv.getFloat32(4 * i, true));
      expect(values).toEqual(flat(w));
    }
    expect(offset).toBe(buffer.length);
  });

  it('optionally saves the optimizer state, so training continues exactly where it stopped', async () => {
    const m = trainedShape();
    m.compile({ optimizer: optimizers.Adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy' });
    const { x, y } = blobs(32, 23);
    // No dropout here: its masks would differ between the two copies.
    const noDropout = new Sequential([m.layers[0], m.layers[1], m.layers[3]]);
    noDropout.compile({ optimizer: optimizers.Adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy' });
    for (let i = 0; i < 3; i++) await noDropout.trainOnBatch(x, y);
    const withState = join(tempDir(), 'opt-yes');
    const without = join(tempDir(), 'opt-no');
    await noDropout.save(withState, { includeOptimizer: true });
    await noDropout.save(without);
    const stateFile = (await savedFiles(withState)).optimizer!;
    expect(stateFile).toMatch(/optimizer\.p\d+-[0-9a-f]{8}\.safetensors$/);
    expect(existsSync(stateFile)).toBe(true);
    expect((await savedFiles(without)).optimizer).toBeUndefined();
    const resumed = await loadModel(withState);
    const restarted = await loadModel(without);
    await noDropout.trainOnBatch(x, y);
    await resumed.trainOnBatch(x, y);
    await restarted.trainOnBatch(x, y);
    const expected = noDropout.getWeights().map(flat);
    expect(resumed.getWeights().map(flat)).toEqual(expected);
    // A fresh Adam takes a different first step (bias correction, empty moments).
    expect(restarted.getWeights().map(flat)).not.toEqual(expected);
    // Saving again without the optimizer removes the stale state file.
    await noDropout.save(withState);
    expect(existsSync(stateFile)).toBe(false);
    expect((await readdir(withState)).filter((f) => f.startsWith('optimizer'))).toEqual([]);
  });

  it('round-trips a functional convolutional model', async () => {
    const inputs = Input({ shape: [6, 6, 1], name: 'image' });
    let h = new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', seed: 4 }).apply(inputs);
    h = new MaxPooling2D().apply(h);
    h = new Flatten().apply(h);
    const outputs = new Dense({ units: 2, seed: 5 }).apply(h);
    const f = model({ inputs, outputs, name: 'tiny_cnn' });
    const dir = join(tempDir(), 'functional');
    await f.save(dir);
    const loaded = await loadModel(dir);
    expect(loaded.className).toBe('Functional');
    const x = seeded([2, 6, 6, 1], 6);
    expect(flat(loaded.predict(x))).toEqual(flat(f.predict(x)));
    expect(loaded.summary(false)).toBe(f.summary(false));
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config.compileConfig).toBeNull();
    expect(config.config.inputLayers).toEqual([['image', 0, 0]]);
  });

  it('round-trips in memory with modelToArtifacts / modelFromArtifacts', async () => {
    const m = await trained();
    const a = await modelToArtifacts(m, { includeOptimizer: true });
    expect(a.optimizer).toBeInstanceOf(Uint8Array);
    const back: Model = modelFromArtifacts(a);
    const x = seeded([4, 2], 8);
    expect(flat(back.predict(x))).toEqual(flat(m.predict(x)));
    expect(back.learningRate).toBe(0.01);
  });
});

describe('loading a damaged model', () => {
  async function savedCopy(name: string): Promise<string> {
    const dir = join(tempDir(), name);
    await (await trained()).save(dir, { includeOptimizer: true });
    return dir;
  }

  it('a corrupt weights file is a DataFormatError naming the file', async () => {
    const dir = await savedCopy('corrupt');
    const file = (await savedFiles(dir)).weights;
    const bytes = new Uint8Array(await readFile(file));
    // Truncated: config.json's recorded size catches it before the file is parsed.
    await writeFile(file, bytes.subarray(0, bytes.length - 10));
    const e = await thrown(() => loadModel(dir));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toBe(
      `${file}: the file is ${bytes.length - 10} bytes but ${dir}/config.json says ${bytes.length} (truncated or replaced)`,
    );
    // Damaged inside: the safetensors decoder names it.
    await replaceFile(dir, 'weights', new Uint8Array([1, 2, 3]));
    expect((await thrown(() => loadModel(dir))).message).toBe(
      `${file}: file is 3 bytes, too short for the 8-byte header length`,
    );
  });

  it('missing files are DataFormatErrors naming the directory and the file', async () => {
    const dir = await savedCopy('missing');
    const { weights } = await savedFiles(dir);
    await rm(weights);
    const e = await thrown(() => loadModel(dir));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toBe(`loadModel: ${dir}/config.json names ${weights}, which is missing`);
    const nowhere = join(tempDir(), 'does-not-exist');
    expect((await thrown(() => loadModel(nowhere))).message).toBe(`loadModel: ${nowhere} has no config.json`);
  });

  it('a bad config.json is a DataFormatError naming it', async () => {
    const dir = await savedCopy('bad-config');
    await writeFile(join(dir, 'config.json'), '{ not json');
    const e = await thrown(() => loadModel(dir));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toContain(`loadModel: ${join(dir, 'config.json')} is not valid JSON`);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ format: 'h5' }));
    expect((await thrown(() => loadModel(dir))).message).toBe(
      `${dir}: config.json is not a tsdl-keras model (format "h5")`,
    );
  });

  it('weights that do not fit the architecture name the missing, unexpected or misshapen tensors', async () => {
    const dir = await savedCopy('mismatch');
    const { weights } = await savedFiles(dir);
    const path = join(dir, 'config.json');
    const config = JSON.parse(await readFile(path, 'utf8'));
    config.config.layers[3].config.name = 'renamed';
    await writeFile(path, JSON.stringify(config));
    const e = await thrown(() => loadModel(dir));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toBe(
      `${weights}: weights do not match the model (missing: renamed/kernel, renamed/bias; unexpected: head/bias, head/kernel)`,
    );
    config.config.layers[3].config.name = 'head';
    config.config.layers[3].config.units = 3;
    await writeFile(path, JSON.stringify(config));
    // Checked before the weight is allocated (see load-errors.test.ts), so it names the layer in config.json.
    const shape = await thrown(() => loadModel(dir));
    expect(shape).toBeInstanceOf(DataFormatError);
    expect(shape.message).toBe(
      `${weights}: 'head/kernel' has shape [6,2] but layer 'head' (Dense) in ${dir}/config.json makes it [6,3]`,
    );
  });

  it('a corrupt optimizer file is a DataFormatError naming it', async () => {
    const dir = await savedCopy('bad-optimizer');
    const file = await replaceFile(dir, 'optimizer', new Uint8Array(16));
    const e = await thrown(() => loadModel(dir));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toContain(`${file}: `);
  });
});
