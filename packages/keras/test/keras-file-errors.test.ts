import { readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgumentError, DataFormatError, memory } from '@tsdl/tensor';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { Dense, Input, Sequential, ThresholdedReLU, model } from '../src/index';
import { loadKerasFile, modelFromKerasBytes, modelToKerasBytes, saveKerasFile } from '../src/keras-file';
import { writeH5Weights } from '../src/io/keras-file/keras-h5';
import { thrown, useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

const MLP = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'keras-files', 'mlp.keras');

type Entries = Record<string, Uint8Array>;
const mlpEntries = async (): Promise<Entries> => unzipSync(new Uint8Array(await readFile(MLP)));
const zip = (e: Entries): Uint8Array => zipSync(e, { level: 0 });

/** mlp.keras with its config.json edited by `edit`. */
async function withConfig(edit: (c: any) => void): Promise<Uint8Array> {
  const e = await mlpEntries();
  const config = JSON.parse(strFromU8(e['config.json']));
  edit(config);
  return zip({ ...e, 'config.json': strToU8(JSON.stringify(config)) });
}

/** Loads `bytes` as `name`, expecting a DataFormatError; checks nothing stays allocated and returns the message. */
async function refused(bytes: Uint8Array, name = 'bad.keras'): Promise<string> {
  const before = memory();
  const e = await thrown(() => modelFromKerasBytes(bytes, name));
  expect(e).toBeInstanceOf(DataFormatError);
  expect(e.message).toContain(name);
  expect(memory().numTensors).toBe(before.numTensors);
  expect(memory().numBytes).toBe(before.numBytes);
  return e.message;
}

/** An .h5 file made by `build` with h5wasm, for structures Keras never writes. */
async function craftedH5(build: (file: InstanceType<typeof import('h5wasm').File>) => void): Promise<Uint8Array> {
  const h5 = (await import('h5wasm')).default;
  const { FS } = await h5.ready;
  const file = new h5.File('/crafted.h5', 'w');
  build(file);
  file.close();
  const bytes = FS.readFile('/crafted.h5');
  FS.unlink('/crafted.h5');
  return bytes;
}

/** The mlp's weights as h5 groups, which a test may change before writing them. */
const mlpGroups = () => [
  {
    path: 'layers/dense',
    name: 'hidden',
    vars: [
      { shape: [4, 8], data: new Float32Array(32) },
      { shape: [8], data: new Float32Array(8) },
    ],
  },
  {
    path: 'layers/dense_1',
    name: 'probs',
    vars: [
      { shape: [8, 3], data: new Float32Array(24) },
      { shape: [3], data: new Float32Array(3) },
    ],
  },
];

describe('untrusted .keras files: DataFormatError naming the file and the entry, nothing left allocated', () => {
  it('a file that is not a zip archive', async () => {
    expect(await refused(strToU8('{"not": "a zip"}'))).toMatch(/bad\.keras: not a zip archive/);
  });

  it('a truncated archive', async () => {
    const bytes = new Uint8Array(await readFile(MLP));
    for (const cut of [bytes.length - 10, Math.floor(bytes.length / 2), 30]) {
      expect(await refused(bytes.slice(0, cut))).toMatch(/truncated or damaged|is damaged/);
    }
  });

  it('an archive whose entry does not match its CRC', async () => {
    const bytes = new Uint8Array(await readFile(MLP));
    // Flip a byte inside config.json's stored data (entries are stored uncompressed).
    const at = new TextDecoder('latin1').decode(bytes).indexOf('"Sequential"');
    bytes[at + 1] ^= 0x20;
    expect(await refused(bytes)).toMatch(/entry config\.json is damaged/);
  });

  it('a missing entry, and npz weights', async () => {
    const e = await mlpEntries();
    for (const missing of ['config.json', 'metadata.json', 'model.weights.h5']) {
      const { [missing]: _gone, ...rest } = e;
      expect(await refused(zip(rest))).toContain(`has no ${missing}`);
    }
    const { 'model.weights.h5': h5, ...rest } = e;
    expect(await refused(zip({ ...rest, 'model.weights.npz': h5 }))).toMatch(
      /model\.weights\.npz .*weights_format='npz'/,
    );
  });

  it('config.json that is not JSON, or not a Sequential / Functional model', async () => {
    const e = await mlpEntries();
    expect(await refused(zip({ ...e, 'config.json': strToU8('{"class_name": ') }))).toMatch(
      /config\.json: not valid JSON/,
    );
    expect(await refused(await withConfig((c) => (c.class_name = 'MyModel')))).toMatch(
      /config\.json: class_name is "MyModel"/,
    );
  });

  it('an unknown layer class, listed with every other one', async () => {
    const msg = await refused(
      await withConfig((c) => {
        c.config.layers[2].class_name = 'FancyDropout';
        c.config.layers[3].class_name = 'FancyDense';
      }),
    );
    expect(msg).toMatch(/config\.json: tsdl has no layer class for FancyDropout, FancyDense/);
  });

  it('a custom layer (a module outside Keras)', async () => {
    const msg = await refused(
      await withConfig((c) => {
        c.config.layers[1].module = 'my_project.layers';
        c.config.layers[1].registered_name = 'my_project>Dense';
      }),
    );
    expect(msg).toMatch(/config\.json: config\.layers\[1\] is a custom layer \(Dense from module "my_project\.layers"/);
  });

  it('a nested model', async () => {
    const msg = await refused(await withConfig((c) => (c.config.layers[1].class_name = 'Sequential')));
    expect(msg).toMatch(/config\.json: config\.layers\[1\] is a nested model \(Sequential\)/);
  });

  it('an option set to what tsdl cannot compute', async () => {
    const e = await mlpEntries();
    const config = JSON.parse(strFromU8(e['config.json']));
    config.config.layers[1].config.quantization_config = { mode: 'int8' };
    expect(await refused(zip({ ...e, 'config.json': strToU8(JSON.stringify(config)) }))).toMatch(
      /layers\[1\] \(Dense\): quantization_config is \{"mode":"int8"\}/,
    );
  });

  it('a dataset whose shape disagrees with the config', async () => {
    const msg = await refused(await withConfig((c) => (c.config.layers[1].config.units = 7)));
    expect(msg).toMatch(
      /model\.weights\.h5: 'layers\/dense\/vars\/0' has shape \[4,8\], but layer 'hidden' \(Dense\) makes 'hidden\/kernel' \[4,7\]/,
    );
  });

  it('a config that asks for far more values than the file holds is refused before allocating them', async () => {
    const msg = await refused(await withConfig((c) => (c.config.layers[1].config.units = 300_000_000)));
    expect(msg).toMatch(/makes weight 'hidden\/kernel' of shape \[4,300000000\].*does not hold/);
  });

  it('variables missing, one too many, or held by no layer', async () => {
    const e = await mlpEntries();
    const withWeights = async (groups: ReturnType<typeof mlpGroups>): Promise<Uint8Array> =>
      zip({ ...e, 'model.weights.h5': await writeH5Weights('mlp', groups) });
    const short = mlpGroups();
    short[1].vars.pop();
    // Fewer values than the config makes: refused while the layers are made, before their weights are allocated.
    expect(await refused(await withWeights(short))).toMatch(
      /makes weight 'probs\/bias' of shape \[3\].*model\.weights\.h5 does not hold/,
    );
    // As many values, in the wrong groups.
    const moved = [
      ...short,
      { path: 'layers/dense_2', name: 'ghost', vars: [{ shape: [3], data: new Float32Array(3) }] },
    ];
    expect(await refused(await withWeights(moved))).toMatch(
      /'layers\/dense_1\/vars' holds 1 variables, but layer 'probs' \(Dense\) has 2 there \(probs\/kernel, probs\/bias\)/,
    );
    const long = mlpGroups();
    long[0].vars.push({ shape: [1], data: new Float32Array(1) });
    expect(await refused(await withWeights(long))).toMatch(/'layers\/dense\/vars' holds 3 variables/);
    const renamed = mlpGroups();
    renamed[1].path = 'layers/output';
    expect(await refused(await withWeights(renamed))).toMatch(/'layers\/dense_1\/vars' holds no variables/);
    const extra = [
      ...mlpGroups(),
      { path: 'layers/dense_2', name: 'ghost', vars: [{ shape: [2], data: new Float32Array(2) }] },
    ];
    expect(await refused(await withWeights(extra))).toMatch(
      /holds variables no layer of the model has: layers\/dense_2\/vars/,
    );
  });

  it('model.weights.h5 that is not HDF5, or not a Keras weights file', async () => {
    const e = await mlpEntries();
    expect(await refused(zip({ ...e, 'model.weights.h5': strToU8('not hdf5 at all, not even close') }))).toMatch(
      /model\.weights\.h5: not a readable HDF5 file/,
    );
    const noLayers = await writeH5Weights('mlp', [{ path: 'elsewhere', name: 'x', vars: [] }]);
    expect(await refused(zip({ ...e, 'model.weights.h5': noLayers }))).toMatch(
      /model\.weights\.h5: has no 'layers' group/,
    );
    const h5 = e['model.weights.h5'];
    expect(await refused(zip({ ...e, 'model.weights.h5': h5.slice(0, Math.floor(h5.length * 0.6)) }))).toMatch(
      /model\.weights\.h5: /,
    );
  });

  it('links, and a dataset that declares more than the file stores, are refused before any value is read', async () => {
    const e = await mlpEntries();
    const layers = (f: Parameters<Parameters<typeof craftedH5>[0]>[0]) => {
      const v = f.create_group('layers').create_group('dense').create_group('vars');
      v.create_dataset({ name: '0', data: new Float32Array(32), shape: [4, 8] });
      return v;
    };
    const linked = await craftedH5((f) => {
      layers(f);
      f.create_soft_link('/layers/dense/vars/0', 'layers/dense/vars/1');
    });
    expect(await refused(zip({ ...e, 'model.weights.h5': linked }))).toMatch(/'layers\/dense\/vars\/1' is a soft link/);
    const loop = await craftedH5((f) => {
      layers(f);
      f.create_soft_link('/layers', 'layers/loop');
    });
    expect(await refused(zip({ ...e, 'model.weights.h5': loop }))).toMatch(/'layers\/loop' is a soft link/);
    const bomb = await craftedH5((f) => {
      const v = layers(f);
      v.create_dataset({
        name: '1',
        data: new Float32Array(64),
        shape: [8, 8],
        maxshape: [null, null],
        chunks: [8, 8],
      });
      (v.get('1') as InstanceType<typeof import('h5wasm').Dataset>).resize([100_000, 100_000]);
    });
    expect(await refused(zip({ ...e, 'model.weights.h5': bomb }))).toMatch(
      /'layers\/dense\/vars\/1' declares \[100000,100000\] \(40000000000 bytes\), more than the \d+-byte file can store/,
    );
  });

  it('a path that cannot be read names it', async () => {
    const e = await thrown(() => loadKerasFile(join(tempDir(), 'absent.keras')));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toMatch(/absent\.keras: no such file or directory/);
    expect(await thrown(() => loadKerasFile(42 as unknown as string))).toBeInstanceOf(ArgumentError);
  });
});

describe('saveKerasFile refuses what Keras cannot read, before writing anything', () => {
  it('a layer Keras 3 lacks, listed; a path that is not .keras; an unbuilt model', async () => {
    const path = join(tempDir(), 'keep.keras');
    await writeFile(path, 'previous');
    const m = new Sequential({
      layers: [
        new Dense({ units: 2, inputShape: [3], activation: 'hard_sigmoid_legacy', name: 'gate' }),
        new ThresholdedReLU({ theta: 0.5, name: 'cut' }),
      ],
    });
    const e = await thrown(() => saveKerasFile(m, path));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(
      /layer 0 'gate': activation 'hard_sigmoid_legacy' \(Keras 2's\) has no Keras 3 name\n\s+layer 1 'cut': ThresholdedReLU is not in Keras 3/,
    );
    expect(await readFile(path, 'utf8')).toBe('previous');
    expect(await thrown(() => saveKerasFile(m, join(tempDir(), 'model.h5')))).toBeInstanceOf(ArgumentError);
    const inner = new Sequential({ layers: [new Dense({ units: 2, inputShape: [3] })] });
    const x = Input({ shape: [3] });
    const outer = model({ inputs: x, outputs: new Dense(1).apply(inner.apply(x) as ReturnType<Dense['apply']>) });
    expect((await thrown(() => modelToKerasBytes(outer))).message).toMatch(
      /a nested model \(Sequential\) is not written to \.keras files yet/,
    );
    const unbuilt = new Sequential({ layers: [new Dense(2)] });
    expect((await thrown(() => saveKerasFile(unbuilt, join(tempDir(), 'u.keras')))).message).toMatch(/is not built/);
    expect((await readdir(tempDir())).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    m.dispose();
    outer.dispose();
    unbuilt.dispose();
  });
});
