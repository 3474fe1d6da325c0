import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Backend, DataFormatError, getBackend, memory } from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNormalization, Dense, Input, type Model, Sequential, loadModel, model, optimizers } from '../src/index';
import { type StTensor, decodeSafetensors, encodeSafetensors } from '../src/io/safetensors';
import { blobs, thrown, useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

/**
 * Every failing load leaves memory() exactly where it was (tensor handles, and
 * storages and bytes per backend), and a config that asks for far more than
 * its weights file holds is refused before the allocation, not after.
 */

function snapshot(): { numTensors: number; backends: Record<string, { buffers: number; bytes: number }> } {
  const m = memory();
  return { numTensors: m.numTensors, backends: m.backends };
}

/**
 * Records the most bytes the backend held after any of its calls, so a test
 * can tell that a load never made a large allocation, even one it freed.
 */
function peakBytes(b: Backend): { peak(): number; reset(): void; stop(): void } {
  const target = b as unknown as Record<string, unknown>;
  let peak = b.memory().bytes;
  const names = new Set<string>();
  for (let o: object | null = b; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o))
      if (k !== 'constructor' && k !== 'memory' && typeof target[k] === 'function') names.add(k);
  }
  const own = new Map([...names].map((k) => [k, Object.getOwnPropertyDescriptor(b, k)]));
  for (const k of names) {
    const f = target[k] as (...a: unknown[]) => unknown;
    target[k] = function (this: unknown, ...args: unknown[]) {
      const r = f.apply(this, args);
      peak = Math.max(peak, b.memory().bytes);
      return r;
    };
  }
  return {
    peak: () => peak,
    reset: () => (peak = b.memory().bytes),
    stop: () => {
      for (const [k, d] of own) {
        if (d) Object.defineProperty(b, k, d);
        else delete target[k];
      }
    },
  };
}

let base = '';
let count = 0;

beforeAll(async () => {
  const m = new Sequential({
    name: 'blob_net',
    layers: [
      new Dense({ units: 6, activation: 'relu', inputShape: [2], seed: 1, name: 'hidden' }),
      new BatchNormalization({ name: 'bn' }),
      new Dense({ units: 2, activation: 'softmax', seed: 2, name: 'head' }),
    ],
  });
  m.compile({
    optimizer: optimizers.Adam({ learningRate: 0.01 }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  const { x, y } = blobs(16, 3);
  await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
  x.dispose();
  y.dispose();
  base = join(tempDir(), 'base');
  await m.save(base, { includeOptimizer: true });
  m.optimizer?.dispose();
  m.dispose();
});

interface Copy {
  dir: string;
  config: string;
  weights: string;
  optimizer: string;
}

async function copy(): Promise<Copy> {
  const dir = join(tempDir(), `copy${count++}`);
  await cp(base, dir, { recursive: true });
  const { files } = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  return {
    dir,
    config: join(dir, 'config.json'),
    weights: join(dir, files.weights.path),
    optimizer: join(dir, files.optimizer.path),
  };
}

async function editConfig(c: Copy, edit: (config: any) => void): Promise<void> {
  const config = JSON.parse(await readFile(c.config, 'utf8'));
  edit(config);
  await writeFile(c.config, JSON.stringify(config));
}

/** Rewrites a data file's tensors (and its size in config.json, so only its content is wrong). */
async function editTensors(
  c: Copy,
  which: 'weights' | 'optimizer',
  edit: (t: Record<string, StTensor>) => void,
): Promise<void> {
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(await readFile(c[which])));
  edit(tensors);
  const bytes = encodeSafetensors({ ...tensors }, { ...metadata });
  await writeFile(c[which], bytes);
  await editConfig(c, (config) => (config.files[which].bytes = bytes.length));
}

/** The error loadModel throws, asserting that it left memory() unchanged. */
async function failsCleanly(dir: string): Promise<Error> {
  const before = snapshot();
  const e = await thrown(() => loadModel(dir));
  expect(snapshot(), e.message).toEqual(before);
  return e;
}

describe('a load that fails', () => {
  it('leaves memory() unchanged, while a load that succeeds adds exactly its weights and optimizer state', async () => {
    // The measurement can fail: a successful load holds 8 weights and Adam's 2 moments of each of the 6 trainable ones.
    const before = snapshot();
    const m = await loadModel(base);
    expect(snapshot().numTensors - before.numTensors).toBe(8 + 2 * 6);
    m.optimizer?.dispose();
    m.dispose();
    expect(snapshot()).toEqual(before);
  });

  it('rejects broken configs with a DataFormatError naming the file and the field', async () => {
    const cases: [string, (config: any) => void, (c: Copy) => string][] = [
      ['layers: 5', (k) => (k.config.layers = 5), (c) => `${c.config}: config.layers must be a list of layers, got 5`],
      [
        'layers[0]: null',
        (k) => (k.config.layers[0] = null),
        (c) => `${c.config}: config.layers[0] must be an object, got null`,
      ],
      [
        'no className',
        (k) => delete k.config.layers[1].className,
        (c) => `${c.config}: config.layers[1].className must be a string, got undefined`,
      ],
      [
        'config: "x"',
        (k) => (k.config.layers[2].config = 'x'),
        (c) => `${c.config}: config.layers[2].config must be an object, got "x"`,
      ],
      [
        'buildInputShape',
        (k) => (k.config.buildInputShape = ['2']),
        (c) => `${c.config}: config.buildInputShape must be a list of positive integers, got ["2"]`,
      ],
      ['model config', (k) => (k.config = null), (c) => `${c.config}: config must be an object, got null`],
      [
        'model class',
        (k) => (k.className = 'Graph'),
        (c) => `${c.config}: unknown model class 'Graph' (Sequential or Functional)`,
      ],
      [
        'units: -1',
        (k) => (k.config.layers[0].config.units = -1),
        (c) =>
          expect.stringMatching(
            new RegExp(`^${c.config}: config\\.layers\\[0\\] \\(Dense\\): .*units must be a positive integer, got -1$`),
          ) as unknown as string,
      ],
      [
        'unknown layer',
        (k) => (k.config.layers[1].className = 'Nope'),
        (c) =>
          expect.stringMatching(
            new RegExp(`^${c.config}: config\\.layers\\[1\\] \\(Nope\\): unknown layer class .*Nope.*registerLayer`),
          ) as unknown as string,
      ],
      ['compileConfig', (k) => (k.compileConfig = 3), (c) => `${c.config}: compileConfig must be an object, got 3`],
      [
        'loss',
        (k) => (k.compileConfig.loss = 'nope'),
        (c) => expect.stringMatching(new RegExp(`^${c.config}: compileConfig: .*nope`)) as unknown as string,
      ],
      [
        'files',
        (k) => (k.files.weights = { path: '../x', bytes: 1 }),
        (c) =>
          `${c.config}: files.weights must be { path: a file name in the model directory, bytes: a size }, got {"path":"../x","bytes":1}`,
      ],
    ];
    for (const [what, edit, message] of cases) {
      const c = await copy();
      await editConfig(c, edit);
      const e = await failsCleanly(c.dir);
      expect(e, what).toBeInstanceOf(DataFormatError);
      expect(e.message, what).toEqual(message(c));
    }
  });

  it("refuses units: 3e8 beside a weights file of a few hundred bytes before allocating the layer's weights", async () => {
    const c = await copy();
    expect((await readFile(c.weights)).length).toBeLessThan(1000);
    await editConfig(c, (k) => (k.config.layers[0].config.units = 3e8));
    const watch = peakBytes(getBackend());
    try {
      // The watch sees allocations: a successful load holds at least the 56 weights at some point.
      const start = getBackend().memory().bytes;
      const ok = await loadModel(base);
      expect(watch.peak() - start).toBeGreaterThanOrEqual(56 * 4);
      ok.optimizer?.dispose();
      ok.dispose();
      watch.reset();
      const e = await failsCleanly(c.dir);
      expect(e).toBeInstanceOf(DataFormatError);
      expect(e.message).toBe(
        `${c.weights}: 'hidden/kernel' has shape [2,6] but layer 'hidden' (Dense) in ${c.config} makes it [2,300000000]`,
      );
      // Nothing near the 2.4 GB such a kernel takes was ever held: at most the file's own 56 float32 values.
      expect(watch.peak() - getBackend().memory().bytes).toBeLessThanOrEqual(56 * 4);
    } finally {
      watch.stop();
    }
    // A layer the file has no weights for at all may not take more values than the file holds.
    await editConfig(c, (k) => (k.config.layers[0].config.name = 'other'));
    const e = await failsCleanly(c.dir);
    expect(e.message).toBe(
      `layer 'other' (Dense) in ${c.config} makes weight 'other/kernel' of shape [2,300000000] (600000000 values), which ${c.weights} does not hold (it holds 56 values in all)`,
    );
  });

  it('frees the weights of a layer that failed half-way through building', async () => {
    // 'hidden' builds in its constructor (inputShape): its kernel fits the file, its bias does not.
    const c = await copy();
    await editTensors(
      c,
      'weights',
      (t) => (t['hidden/bias'] = { dtype: 'F32', shape: [7], data: new Float32Array(7) }),
    );
    const e = await failsCleanly(c.dir);
    expect(e.message).toBe(
      `${c.weights}: 'hidden/bias' has shape [7] but layer 'hidden' (Dense) in ${c.config} makes it [6]`,
    );
  });

  it('frees a model whose weights do not match by name or dtype', async () => {
    const renamed = await copy();
    await editConfig(renamed, (k) => (k.config.layers[2].config.name = 'renamed'));
    expect((await failsCleanly(renamed.dir)).message).toBe(
      `${renamed.weights}: weights do not match the model (missing: renamed/kernel, renamed/bias; unexpected: head/bias, head/kernel)`,
    );
    const ints = await copy();
    await editTensors(ints, 'weights', (t) => (t['head/bias'] = { dtype: 'I32', shape: [2], data: new Int32Array(2) }));
    expect((await failsCleanly(ints.dir)).message).toBe(
      `${ints.weights}: 'head/bias' holds I32 values, the model's weight is float32`,
    );
  });

  it('frees the model and the optimizer when the optimizer state does not fit', async () => {
    const c = await copy();
    await editTensors(c, 'optimizer', (t) => {
      const name = Object.keys(t).find((k) => k.startsWith('state/0/'))!;
      t[name] = { dtype: 'F32', shape: [3], data: new Float32Array(3) };
    });
    const e = await failsCleanly(c.dir);
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toMatch(
      new RegExp(
        `^${c.optimizer}: Adam\\.loadStateDict: state '\\w+' of parameter 0 has shape \\[3\\], the parameter has shape \\[2,6\\]$`,
      ),
    );
    const junk = await copy();
    await editTensors(junk, 'optimizer', (t) => (t['weird'] = { dtype: 'F32', shape: [1], data: new Float32Array(1) }));
    expect((await failsCleanly(junk.dir)).message).toBe(
      `${junk.optimizer}: tensor 'weird' is not named state/<parameter>/<name>`,
    );
  });

  it('fails on damaged files before building anything, and a repeated failure costs nothing either', async () => {
    const c = await copy();
    const bytes = new Uint8Array(await readFile(c.weights));
    // Cut short but recorded at its new size, as a file damaged before it was saved would be: the decoder catches it.
    await writeFile(c.weights, bytes.subarray(0, bytes.length - 40));
    await editConfig(c, (k) => (k.files.weights.bytes = bytes.length - 40));
    const before = snapshot();
    for (let i = 0; i < 5; i++) expect(await failsCleanly(c.dir)).toBeInstanceOf(DataFormatError);
    expect(snapshot()).toEqual(before);
    const opt = await copy();
    await writeFile(opt.optimizer, new Uint8Array(16));
    await editConfig(opt, (k) => (k.files.optimizer.bytes = 16));
    expect((await failsCleanly(opt.dir)).message).toMatch(new RegExp(`^${opt.optimizer}: `));
    const gone = await copy();
    await rm(gone.weights);
    expect((await failsCleanly(gone.dir)).message).toBe(
      `loadModel: ${gone.config} names ${gone.weights}, which is missing`,
    );
  });

  it('frees the layers of a functional model that failed while being wired', async () => {
    const inputs = Input({ shape: [4], name: 'x' });
    const hidden = new Dense({ units: 3, name: 'h', seed: 1 }).apply(inputs);
    const f: Model = model({ inputs, outputs: new Dense({ units: 2, name: 'out', seed: 2 }).apply(hidden), name: 'f' });
    const dir = join(tempDir(), 'functional');
    await f.save(dir);
    f.dispose();
    const config = join(dir, 'config.json');
    const original = await readFile(config, 'utf8');
    const edits: [string, (k: any) => void, string][] = [
      // A Conv2D after a Dense: 'h' is built before 'out' refuses its rank-2 input.
      [
        'conv',
        (k) =>
          (k.config.layers[2] = {
            className: 'Conv2D',
            config: { name: 'out', filters: 2, kernelSize: 3 },
            inboundNodes: [[['h', 0, 0]]],
          }),
        `${config}: out (Conv2D): expects * of rank 4 (batch included), got shape (None, 3)`,
      ],
      [
        'inbound',
        (k) => (k.config.layers[2].inboundNodes = [[['nowhere', 0, 0]]]),
        `${config}: config.layers[2] ('out') inboundNodes[0] reads a node that no layer of the model makes`,
      ],
      [
        'node index',
        (k) => (k.config.layers[2].inboundNodes = [[['h', 1, 0]]]),
        `${config}: config.layers[2] ('out') inboundNodes[0] reads a node that no layer of the model makes`,
      ],
      [
        'output',
        (k) => (k.config.outputLayers = [['gone', 0, 0]]),
        `${config}: config.outputLayers names ["gone",0,0], which the model does not make`,
      ],
      [
        'no inbound nodes',
        (k) => delete k.config.layers[1].inboundNodes,
        `${config}: config.layers[1].inboundNodes must be a non-empty list of nodes, got undefined`,
      ],
      [
        'input shape',
        (k) => (k.config.layers[0].config.shape = [0]),
        `${config}: config.layers[0].config.shape must be a list of positive integers, got [0]`,
      ],
    ];
    for (const [what, edit, message] of edits) {
      const k = JSON.parse(original);
      edit(k);
      await writeFile(config, JSON.stringify(k));
      const e = await failsCleanly(dir);
      expect(e, what).toBeInstanceOf(DataFormatError);
      // The layer's own wording may change; the file, the layer and the shapes must be there.
      const [head, tail] = message.split(' * ');
      if (tail) expect(e.message.startsWith(head) && e.message.endsWith(tail), `${what}: ${e.message}`).toBe(true);
      else expect(e.message, what).toBe(message);
    }
  });
});
