import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, DataFormatError, ShapeError, TsdlError, memory } from '@tsdl/tensor';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  Linear,
  type Module,
  ReLU,
  Sequential,
  decodeTorchCheckpoint,
  loadSafetensorsInto,
  loadTorchCheckpointInto,
} from '../src/index';
import { CHECKPOINTS, buildModel, fixtureBytes, fixtures, runModel } from './checkpoint-models';
import { det, expectClose, useCpu } from './helpers';
import { f32bytes, op, stateDictPickle, tensorOps, torchZip } from './pickle-builder';

useCpu();

/** Runs `f`, expecting an error of `type` whose message matches `message`; returns it. */
function expectError(f: () => unknown, type: new (...a: never[]) => Error, message: RegExp): Error {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a throw').toBeInstanceOf(type);
  expect((caught as Error).message).toMatch(message);
  return caught as Error;
}

/** A load into `model` that must fail: memory and the model's values are unchanged afterwards. */
function expectFailedLoad(model: Module, f: () => unknown, type: new (...a: never[]) => Error, message: RegExp): void {
  const before = memory();
  const values = Object.values(model.stateDict()).map((t) => Array.from(t.dataSync()));
  expectError(f, type, message);
  const after = memory();
  expect([after.numTensors, after.numBytes]).toEqual([before.numTensors, before.numBytes]);
  expect(Object.values(model.stateDict()).map((t) => Array.from(t.dataSync()))).toEqual(values);
}

describe('hostile pickles are refused without running anything', () => {
  const marker = join(CHECKPOINTS, 'PWNED');

  it('evil_system.pt (a REDUCE of os.system) names the global', () => {
    const model = buildModel('mlp');
    expectFailedLoad(
      model,
      () => loadTorchCheckpointInto(model, fixtureBytes('evil_system.pt'), { source: 'evil_system.pt' }),
      DataFormatError,
      /evil_system\.pt.*refuses the global posix\.system/,
    );
    expect(existsSync(marker)).toBe(false);
    model.dispose();
  });

  it('evil_eval.pt (a REDUCE of builtins.eval) names the global', () => {
    expectError(
      () => decodeTorchCheckpoint(fixtureBytes('evil_eval.pt')),
      DataFormatError,
      /refuses the global __builtin__\.eval/,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it('STACK_GLOBAL (protocol 4) of builtins.eval is refused the same way', () => {
    const pkl = Uint8Array.from([
      ...op.proto(),
      ...op.stackGlobal('builtins', 'eval'),
      ...op.tupleOf(op.str('1+1')),
      ...op.reduce(),
      ...op.stop(),
    ]);
    expectError(() => decodeTorchCheckpoint(torchZip(pkl)), DataFormatError, /refuses the global builtins\.eval/);
  });

  it('allowed names cannot be misused: calling a storage class, BUILD on a tensor, NEWOBJ', () => {
    const callStorage = Uint8Array.from([
      ...op.proto(),
      ...op.global('torch', 'FloatStorage'),
      ...op.tupleOf(op.int(3)),
      ...op.reduce(),
      ...op.stop(),
    ]);
    expectError(
      () => decodeTorchCheckpoint(torchZip(callStorage)),
      DataFormatError,
      /REDUCE calls torch\.FloatStorage, which a state dict never needs/,
    );
    const t = tensorOps('FloatStorage', '0', 2, 0, [2], [1]);
    const buildOnTensor = Uint8Array.from([...op.proto(), ...t, ...op.emptyDict(), ...op.build(), ...op.stop()]);
    expectError(
      () => decodeTorchCheckpoint(torchZip(buildOnTensor, { 0: f32bytes([1, 2]) })),
      DataFormatError,
      /BUILD on a Tensor/,
    );
    const newobj = Uint8Array.from([
      ...op.proto(),
      ...op.global('collections', 'OrderedDict'),
      ...op.emptyTuple(),
      0x81,
      ...op.stop(),
    ]);
    expectError(() => decodeTorchCheckpoint(torchZip(newobj)), DataFormatError, /unsupported opcode 0x81/);
  });

  it('a truncated pickle, a read of an unset memo and a dangling MARK are format errors', () => {
    const full = stateDictPickle([['w', tensorOps('FloatStorage', '0', 2, 0, [2], [1])]]);
    expectError(
      () => decodeTorchCheckpoint(torchZip(full.subarray(0, full.length - 5), { 0: f32bytes([1, 2]) })),
      DataFormatError,
      /truncated/,
    );
    const memo = Uint8Array.from([...op.proto(), 0x68, 7, ...op.stop()]);
    expectError(() => decodeTorchCheckpoint(torchZip(memo)), DataFormatError, /reads memo 7, which was never stored/);
    const mark = Uint8Array.from([...op.proto(), ...op.mark(), ...op.stop()]);
    expectError(
      () => decodeTorchCheckpoint(torchZip(mark)),
      DataFormatError,
      /STOP inside a MARK that was never closed/,
    );
    expectError(
      () => decodeTorchCheckpoint(new ArrayBuffer(8) as never),
      ArgumentError,
      /decodeTorchCheckpoint: expected the file's bytes as a Uint8Array, got object/,
    );
  });
});

describe('hand-made archives', () => {
  const storage = { 0: f32bytes([1, 2, 3, 4, 5, 6]) };

  it("torch 2.x's layout (folder 'archive', byteorder 'little') loads; a strided view is copied dense", () => {
    const pkl = stateDictPickle([['w', tensorOps('FloatStorage', '0', 6, 1, [2, 2], [1, 3])]]);
    const { tensors } = decodeTorchCheckpoint(torchZip(pkl, storage, { byteorder: 'little' }));
    // Elements 1 + i + 3j: [[2, 5], [3, 6]].
    expect([tensors.w.shape, Array.from(tensors.w.data)]).toEqual([
      [2, 2],
      [2, 5, 3, 6],
    ]);
  });

  it("byteorder 'big' is refused", () => {
    const pkl = stateDictPickle([['w', tensorOps('FloatStorage', '0', 6, 0, [6], [1])]]);
    expectError(
      () => decodeTorchCheckpoint(torchZip(pkl, storage, { byteorder: 'big' }), { source: 'be.pt' }),
      DataFormatError,
      /be\.pt: byteorder says "big"/,
    );
  });

  it('views that leave their storage, expand it, or storages of the wrong size are refused by name', () => {
    const check = (t: number[], files: Record<string, Uint8Array>, message: RegExp) =>
      expectError(() => decodeTorchCheckpoint(torchZip(stateDictPickle([['w', t]]), files)), DataFormatError, message);
    check(
      tensorOps('FloatStorage', '0', 6, 4, [2, 2], [2, 1]),
      storage,
      /tensor "w": its view \(offset 4, size \[2,2\], stride \[2,1\]\) reaches element 7 of a 6-element storage/,
    );
    check(
      tensorOps('FloatStorage', '0', 6, 0, [100], [0]),
      storage,
      /tensor "w": its view holds 100 elements of a 6-element storage/,
    );
    check(
      tensorOps('FloatStorage', '0', 7, 0, [6], [1]),
      storage,
      /storage "0" \(7 × FloatStorage\) needs 28 bytes, its entry holds 24/,
    );
    check(tensorOps('FloatStorage', '1', 6, 0, [6], [1]), storage, /storage "1" has no entry archive\/data\/1/);
    check(
      tensorOps('ComplexFloatStorage', '0', 3, 0, [3], [1]),
      storage,
      /refuses the global torch\.ComplexFloatStorage/,
    );
  });

  it('a zip without data.pkl, or with two, is not a checkpoint', () => {
    expectError(
      () => decodeTorchCheckpoint(torchZip(new Uint8Array(0), {}, { prefix: 'a/b' })),
      DataFormatError,
      /exactly one <folder>\/data\.pkl, this zip holds none/,
    );
  });
});

describe('damaged files', () => {
  const pt = fixtureBytes('mlp.pt');

  it('a truncated zip is refused', () => {
    for (const n of [0, 3, 100, pt.length >> 1, pt.length - 10]) {
      expectError(() => decodeTorchCheckpoint(pt.subarray(0, n), { source: 'cut.pt' }), DataFormatError, /^cut\.pt: /);
    }
  });

  it('a flipped byte in a storage fails its CRC; a damaged central directory is refused', () => {
    const entry = unzipSync(pt)['mlp/data/0'];
    const at = Buffer.from(pt).indexOf(Buffer.from(entry));
    expect(at).toBeGreaterThan(0);
    const flipped = pt.slice();
    flipped[at + 5] ^= 0x40;
    expectError(
      () => decodeTorchCheckpoint(flipped),
      DataFormatError,
      /zip entry "mlp\/data\/0" fails its CRC-32 check/,
    );
    const central = Buffer.from(pt).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const broken = pt.slice();
    broken[central + 1] = 0;
    expectError(
      () => decodeTorchCheckpoint(broken),
      DataFormatError,
      /central directory entry 0 at byte \d+ is missing or damaged/,
    );
  });

  it('bytes that are neither format are refused', () => {
    expectError(
      () => decodeTorchCheckpoint(new TextEncoder().encode('hello world')),
      DataFormatError,
      /not a PyTorch checkpoint/,
    );
    expectError(
      () => decodeTorchCheckpoint(fixtureBytes('mlp.safetensors')),
      DataFormatError,
      /not a PyTorch checkpoint/,
    );
  });

  it('400 random corruptions: a zip either loads its exact values or is refused (CRC); the legacy format loads or throws a TsdlError; memory is unchanged', () => {
    const model = buildModel('mlp');
    const original = Object.values(decodeTorchCheckpoint(pt).tensors).map((t) => Array.from(t.data));
    const before = memory().numTensors;
    const r = det(1600, 99).map((v) => (v + 1) / 2);
    const refused = { 'mlp.pt': 0, 'mlp_legacy.pt': 0 };
    for (const [file, bytes] of [
      ['mlp.pt', pt],
      ['mlp_legacy.pt', fixtureBytes('mlp_legacy.pt')],
    ] as const) {
      for (let i = 0; i < 200; i++) {
        const bad = bytes.slice();
        const at = Math.floor(r[4 * i] * bad.length);
        bad[at] ^= 1 + Math.floor(r[4 * i + 1] * 255);
        const cut = r[4 * i + 2] < 0.3 ? bad.subarray(0, Math.floor(r[4 * i + 3] * bad.length)) : bad;
        try {
          loadTorchCheckpointInto(model, cut, { source: file });
          // A zip flip that loads hit bytes no reader uses (local-header copies, padding): the values are the file's own.
          if (file === 'mlp.pt')
            expect(
              Object.values(model.stateDict()).map((t) => Array.from(t.dataSync())),
              `byte ${at}`,
            ).toEqual(original);
        } catch (e) {
          if (!(e instanceof TsdlError))
            throw new Error(`${file}: byte ${at} gave a ${(e as Error).name}: ${(e as Error).message}`);
          refused[file]++;
        }
      }
    }
    expect(refused['mlp.pt']).toBeGreaterThan(100);
    expect(refused['mlp_legacy.pt']).toBeGreaterThan(50);
    expect(memory().numTensors).toBe(before);
    model.dispose();
  });

  it('an int64 value int32 cannot hold is refused with the tensor name', () => {
    expectError(
      () => decodeTorchCheckpoint(fixtureBytes('int64_overflow.pt')),
      DataFormatError,
      /tensor "too_big" \(I64\) holds 1099511627776 at index 0, outside the int32 range/,
    );
  });
});

describe('loading into modules', () => {
  it('a training checkpoint: the state dict is read from { key }, and without it the error says so', () => {
    const model = buildModel('mlp');
    expectFailedLoad(
      model,
      () => loadTorchCheckpointInto(model, fixtureBytes('mlp_nested.pt')),
      DataFormatError,
      /entry "model" is an OrderedDict, not a tensor; to read a nested state dict pass \{ key \} \(dicts here: "model", "optimizer"\)/,
    );
    loadTorchCheckpointInto(model, fixtureBytes('mlp_nested.pt'), { key: 'model' });
    expectClose(runModel(model, 'mlp').data, fixtures.models.mlp.output.data, 1e-5, 1e-5);
    expectError(
      () => decodeTorchCheckpoint(fixtureBytes('mlp_nested.pt'), { key: 'epoch' }),
      DataFormatError,
      /key "epoch" does not hold a dict/,
    );
    model.dispose();
  });

  it('strict: missing and unexpected names are an ArgumentError naming the file; strict false loads what matches', () => {
    const cnn = buildModel('cnn');
    expectFailedLoad(
      cnn,
      () => loadTorchCheckpointInto(cnn, fixtureBytes('mlp.pt'), { source: 'mlp.pt' }),
      ArgumentError,
      /loadTorchCheckpointInto: mlp\.pt does not match Sequential \(missing keys: '1\.weight'.*unexpected keys: '2\.weight', '2\.bias'\)/,
    );
    const bigger = buildModel('mlp');
    bigger.registerModule('extra', new Linear(2, 2));
    const result = loadSafetensorsInto(bigger, fixtureBytes('mlp.safetensors'), { strict: false });
    expect(result).toEqual({ missingKeys: ['extra.weight', 'extra.bias'], unexpectedKeys: [] });
    expectClose(runModel(bigger, 'mlp').data, fixtures.models.mlp.output.data, 1e-5, 1e-5);
    cnn.dispose();
    bigger.dispose();
  });

  it('a shape mismatch is a ShapeError naming the file, the key and both shapes, before anything is assigned', () => {
    const wider = new Sequential(new Linear(6, 9), new ReLU(), new Linear(9, 3));
    expectFailedLoad(
      wider,
      () => loadSafetensorsInto(wider, fixtureBytes('mlp.safetensors'), { source: 'mlp.safetensors' }),
      ShapeError,
      /loadSafetensorsInto: mlp\.safetensors: '0\.weight' has shape \[8, ?6\] in the file but \[9, ?6\] in Sequential/,
    );
    wider.dispose();
  });

  it('bad options are ArgumentErrors', () => {
    const model = buildModel('mlp');
    expectError(
      () => loadTorchCheckpointInto(model, fixtureBytes('mlp.pt'), { strcit: true } as never),
      ArgumentError,
      /unknown option 'strcit'/,
    );
    expectError(
      () => loadSafetensorsInto(model, fixtureBytes('mlp.safetensors'), { strict: 'no' } as never),
      ArgumentError,
      /strict must be true or false/,
    );
    expectError(
      () => loadSafetensorsInto({} as never, fixtureBytes('mlp.safetensors')),
      ArgumentError,
      /the first argument must be a Module/,
    );
    expectError(
      () => loadSafetensorsInto(model, [1, 2] as never),
      ArgumentError,
      /loadSafetensorsInto: expected the file's bytes as a Uint8Array, got object/,
    );
    model.dispose();
  });

  it('a truncated safetensors file is refused, naming it, and the model keeps its values', () => {
    const model = buildModel('mlp');
    const st = fixtureBytes('mlp.safetensors');
    expectFailedLoad(
      model,
      () => loadSafetensorsInto(model, st.subarray(0, st.length - 4), { source: 'cut.safetensors' }),
      DataFormatError,
      /^cut\.safetensors: /,
    );
    model.dispose();
  });
});
