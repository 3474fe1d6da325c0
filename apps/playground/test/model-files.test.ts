import { describe, expect, it } from 'vitest';
import { readModelFiles, transferables } from '../src/model-files';

/** Files as the page's file input gives them (Node's File is the browser's). */
const file = (name: string, body: string | Uint8Array) => new File([body as BlobPart], name);
const json = (name: string, value: unknown) => file(name, JSON.stringify(value));
const bytes = (...b: number[]) => new Uint8Array(b);

/** A TF.js model.json listing `paths` in two manifest groups, as TF.js writes larger models. */
const modelJson = (groups: string[][]) =>
  json('model.json', {
    format: 'layers-model',
    generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
    convertedBy: null,
    modelTopology: { class_name: 'Sequential', config: { layers: [] } },
    weightsManifest: groups.map((paths, g) => ({ paths, weights: [{ name: `w${g}`, shape: [1], dtype: 'float32' }] })),
  });

describe('choosing model files', () => {
  it("reads tsdl's pair: a download, or a Node-saved directory whose config.json names its weights file", async () => {
    const config = (files?: object) => json('config.json', { format: 'tsdl-keras', ...(files ? { files } : {}) });
    const pair = await readModelFiles([config(), file('model.safetensors', bytes(1))]);
    expect(pair.format).toBe('tsdl');
    expect(pair.format === 'tsdl' && Array.from(pair.model.weights)).toEqual([1]);
    const saved = await readModelFiles([
      file('optimizer.p9-0000abcd.safetensors', bytes(2)),
      config({ weights: { path: 'model.p9-0000abcd.safetensors', bytes: 1 } }),
      file('model.p9-0000abcd.safetensors', bytes(3)),
    ]);
    expect(saved.format === 'tsdl' && Array.from(saved.model.weights)).toEqual([3]);
    await expect(readModelFiles([config(), file('optimizer.safetensors', bytes(2))])).rejects.toThrow(
      'config.json is a tsdl config: choose it together with its weights file, model.safetensors (got: config.json, optimizer.safetensors)',
    );
  });

  it("joins a TF.js model's shards in the manifest's order, whatever order they were chosen in", async () => {
    // Three shards in two groups, chosen in another order; a manifest path with a folder matches the chosen file's name.
    const files = [
      file('b.bin', bytes(3, 4)),
      modelJson([['a.bin', 'weights/b.bin'], ['c.bin']]),
      file('c.bin', bytes(5)),
      file('a.bin', bytes(1, 2)),
    ];
    const got = await readModelFiles(files);
    if (got.format !== 'tfjs') throw new Error(`read as ${got.format}`);
    expect(got.name).toBe('model.json');
    expect(Array.from(new Uint8Array(got.artifacts.weightData))).toEqual([1, 2, 3, 4, 5]);
    expect(got.artifacts.weightSpecs).toEqual([
      { name: 'w0', shape: [1], dtype: 'float32' },
      { name: 'w1', shape: [1], dtype: 'float32' },
    ]);
    expect(got.artifacts).toMatchObject({
      format: 'layers-model',
      generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
      convertedBy: null,
      modelTopology: { class_name: 'Sequential' },
    });
    expect(transferables(got)).toEqual([got.artifacts.weightData]);
  });

  it('names the shards model.json lists that were not chosen', async () => {
    const one = modelJson([['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']]);
    await expect(readModelFiles([one, file('group1-shard2of3.bin', bytes(1))])).rejects.toThrow(
      'model.json lists weight shards that were not chosen: group1-shard1of3.bin, group1-shard3of3.bin; choose model.json together with all its .bin files (got: model.json, group1-shard2of3.bin)',
    );
    await expect(readModelFiles([modelJson([['group1-shard1of1.bin']])])).rejects.toThrow(
      'model.json lists weight shard that was not chosen: group1-shard1of1.bin;',
    );
    const bad = json('model.json', { modelTopology: {}, weightsManifest: [{ paths: 'x.bin', weights: [] }] });
    await expect(readModelFiles([bad])).rejects.toThrow(
      'model.json: weightsManifest[0] must be an object { paths, weights } with a list of shard names',
    );
  });

  it('takes one .onnx file alone', async () => {
    const got = await readModelFiles([file('digits.onnx', bytes(8, 7))]);
    expect(got).toEqual({ format: 'onnx', name: 'digits.onnx', bytes: bytes(8, 7) });
    expect(got.format === 'onnx' && transferables(got)).toEqual([got.format === 'onnx' && got.bytes.buffer]);
    await expect(readModelFiles([file('a.onnx', bytes(1)), file('model.json', '{}')])).rejects.toThrow(
      'choose one .onnx file alone (got: a.onnx, model.json)',
    );
  });

  it('refuses anything else in words, naming what was chosen', async () => {
    const accepted =
      'config.json with model.safetensors (tsdl), model.json with its .bin shards (TF.js), or one .onnx file';
    await expect(readModelFiles([])).rejects.toThrow(`choose the files of one model: ${accepted} (got: nothing)`);
    await expect(readModelFiles([file('weights.bin', bytes(1))])).rejects.toThrow(
      `choose the files of one model: ${accepted} (got: weights.bin)`,
    );
    await expect(readModelFiles([json('a.json', {}), json('b.json', {})])).rejects.toThrow('(got: a.json, b.json)');
    await expect(readModelFiles([file('model.json', '{"modelTopology": ')])).rejects.toThrow(
      /^model\.json is not valid JSON \(/,
    );
    await expect(readModelFiles([json('model.json', [1, 2])])).rejects.toThrow(
      `model.json is not a model file: expected a JSON object (${accepted})`,
    );
  });
});
