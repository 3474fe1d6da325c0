import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Tensor, dispose, memory } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  decodeTorchCheckpoint,
  loadSafetensorsInto,
  loadTorchCheckpointInto,
  stateDictToSafetensors,
  torchCheckpointToStateDict,
} from '../src/index';
import { CHECKPOINTS, MODEL_NAMES, buildModel, fixtureBytes, fixtures, runModel } from './checkpoint-models';
import { expectClose, useCpu } from './helpers';

useCpu();

/**
 * PyTorch → tsdl: state dicts that Debian's torch 1.13 saved
 * (fixtures/make_checkpoint_fixtures.py), as torch.save zips, the legacy
 * format and safetensors, load strictly into tsdl modules built to match and
 * give PyTorch's outputs. tsdl → PyTorch: the safetensors tsdl writes for
 * those modules are byte-for-byte the committed tsdl_<model>.safetensors,
 * which the script's --verify mode loads into torch and checks against the
 * same outputs.
 */

const WRITE = process.env.TSDL_WRITE_FIXTURES === '1';

describe('PyTorch checkpoints load into tsdl modules and give PyTorch outputs', () => {
  for (const name of MODEL_NAMES) {
    for (const file of [`${name}.pt`, `${name}.safetensors`]) {
      it(file, () => {
        const model = buildModel(name);
        const before = memory().numTensors;
        const bytes = fixtureBytes(file);
        const load = file.endsWith('.pt') ? loadTorchCheckpointInto : loadSafetensorsInto;
        const result = load(model, bytes, { source: file });
        expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
        expect(memory().numTensors).toBe(before);
        expect(Object.keys(model.stateDict())).toEqual(fixtures.models[name].keys);
        const want = fixtures.models[name].output;
        const got = runModel(model, name);
        expect(got.shape).toEqual(want.shape);
        expectClose(got.data, want.data, 1e-5, 1e-5);
        model.dispose();
      });
    }
  }

  it("BatchNorm's int64 num_batches_tracked arrives as int32 with its value", () => {
    const model = buildModel('cnn');
    loadTorchCheckpointInto(model, fixtureBytes('cnn.pt'));
    const n = model.stateDict()['1.num_batches_tracked'];
    expect([n.dtype, n.shape, n.item()]).toEqual(['int32', [], 3]);
    model.dispose();
  });

  it('the legacy (pre-1.6) format loads too', () => {
    const model = buildModel('mlp');
    loadTorchCheckpointInto(model, fixtureBytes('mlp_legacy.pt'));
    expectClose(runModel(model, 'mlp').data, fixtures.models.mlp.output.data, 1e-5, 1e-5);
    expect(decodeTorchCheckpoint(fixtureBytes('mlp_legacy.pt')).format).toBe('legacy');
    model.dispose();
  });

  it('.pt and .safetensors of one state dict decode to the same values', () => {
    for (const name of MODEL_NAMES) {
      const pt = decodeTorchCheckpoint(fixtureBytes(`${name}.pt`)).tensors;
      const st = decodeSafetensors(fixtureBytes(`${name}.safetensors`)).tensors;
      expect(Object.keys(pt)).toEqual(fixtures.models[name].keys);
      for (const k of Object.keys(pt)) expect(pt[k], `${name} ${k}`).toEqual(st[k]);
    }
  });
});

describe('strided views and storage types', () => {
  const views = fixtures.views;
  /** Float values as float32 rounds them; integers and bools exactly. */
  const expected = (k: string, dtype: string): number[] =>
    dtype === 'F32' ? Array.from(Float32Array.from(views[k].data)) : views[k].data;

  it('views.pt: transposed, offset and stepped views are copied dense; int64, int32, bool, float64, float16, bfloat16 converted', () => {
    const { tensors } = decodeTorchCheckpoint(fixtureBytes('views.pt'), { source: 'views.pt' });
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(views).sort());
    for (const [k, want] of Object.entries(views)) {
      const t = tensors[k];
      expect(t.shape, k).toEqual(want.shape);
      expect(Array.from(t.data), k).toEqual(expected(k, t.dtype));
    }
    expect(tensors.long.dtype).toBe('I32');
    expect(tensors.bool.dtype).toBe('BOOL');
    expect(tensors.half.dtype).toBe('F32');
  });

  it('dtypes.safetensors (written by numpy) decodes to the same values', () => {
    const { tensors } = decodeSafetensors(fixtureBytes('dtypes.safetensors'));
    expect(Object.keys(tensors).length).toBe(7);
    for (const k of Object.keys(tensors)) expect(Array.from(tensors[k].data), k).toEqual(expected(k, tensors[k].dtype));
  });

  it('torchCheckpointToStateDict gives tensors the caller owns, of tsdl dtypes', () => {
    const before = memory().numTensors;
    const sd = torchCheckpointToStateDict(fixtureBytes('views.pt'));
    expect([sd.transposed.dtype, sd.long.dtype, sd.bool.dtype]).toEqual(['float32', 'int32', 'bool']);
    expect(sd.transposed.arraySync()).toEqual([
      [0, 0.75, 1.5, 2.25],
      [0.125, 0.875, 1.625, 2.375],
      [0.25, 1, 1.75, 2.5],
      [0.375, 1.125, 1.875, 2.625],
      [0.5, 1.25, 2, 2.75],
      [0.625, 1.375, 2.125, 2.875],
    ]);
    dispose(Object.values(sd) as Tensor[]);
    expect(memory().numTensors).toBe(before);
  });
});

describe('tsdl → PyTorch', () => {
  for (const name of MODEL_NAMES) {
    it(`tsdl_${name}.safetensors is what tsdl writes for the loaded ${name} (the script's --verify checks it in torch)`, async () => {
      const model = buildModel(name);
      loadTorchCheckpointInto(model, fixtureBytes(`${name}.pt`));
      const bytes = await stateDictToSafetensors(model);
      const path = join(CHECKPOINTS, `tsdl_${name}.safetensors`);
      if (WRITE) writeFileSync(path, bytes);
      expect(existsSync(path), `${path} is missing: run this test with TSDL_WRITE_FIXTURES=1`).toBe(true);
      expect(Buffer.from(bytes).equals(Buffer.from(fixtureBytes(`tsdl_${name}.safetensors`)))).toBe(true);
      // And reading it back gives the same model.
      const again = buildModel(name);
      loadSafetensorsInto(again, bytes);
      expectClose(runModel(again, name).data, fixtures.models[name].output.data, 1e-5, 1e-5);
      expect(decodeSafetensors(bytes).metadata.format).toBe('pt');
      model.dispose();
      again.dispose();
    });
  }
});
