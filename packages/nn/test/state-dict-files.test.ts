import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgumentError, DataFormatError, DisposedError, memory } from '@tsdl/tensor';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Linear, ReLU, Sequential, decodeSafetensors, loadSafetensorsInto, stateDictToSafetensors } from '../src/index';
import { loadSafetensors, loadTorchCheckpoint, saveSafetensors } from '../src/node/index';
import { CHECKPOINTS, buildModel, fixtures, runModel } from './checkpoint-models';
import { expectClose, useCpu } from './helpers';

useCpu();

/** Makes the next temporary file's fsync fail with ENOSPC, as a full disk does. */
const failSync = vi.hoisted(() => ({ next: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (path: string, flags: string) => {
    const fh = await fs.open(path, flags);
    if (!failSync.next || flags !== 'wx') return fh;
    failSync.next = false;
    const sync = async () => {
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    };
    return new Proxy(fh, {
      get: (t, p) =>
        p === 'sync' ? sync : typeof (t as any)[p] === 'function' ? (t as any)[p].bind(t) : (t as any)[p],
    });
  };
  return { ...fs, default: { ...fs, open }, open };
});

const dir = mkdtempSync(join(tmpdir(), 'tsdl-nn-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectReject(p: Promise<unknown>, type: new (...a: never[]) => Error, message: RegExp): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(type);
  expect((e as Error).message).toMatch(message);
}

describe('@tsdl/nn/node: state dicts by path', () => {
  it('saveSafetensors then loadSafetensors gives the same model; the file has PyTorch names', async () => {
    const model = buildModel('cnn');
    await loadTorchCheckpoint(model, join(CHECKPOINTS, 'cnn.pt'));
    const path = join(dir, 'cnn.safetensors');
    await saveSafetensors(model, path, { metadata: { epoch: '3' } });
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(path)));
    expect(Object.keys(tensors).sort()).toEqual([...fixtures.models.cnn.keys].sort());
    expect(metadata).toEqual({ format: 'pt', epoch: '3' });
    const again = buildModel('cnn');
    expect(await loadSafetensors(again, path)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expectClose(runModel(again, 'cnn').data, fixtures.models.cnn.output.data, 1e-5, 1e-5);
    model.dispose();
    again.dispose();
  });

  it('a save replaces an existing file whole and leaves no temporary behind', async () => {
    const path = join(dir, 'replace.safetensors');
    writeFileSync(path, 'old contents');
    const model = buildModel('mlp');
    await saveSafetensors(model.stateDict(), path);
    expect(Object.keys(decodeSafetensors(new Uint8Array(readFileSync(path))).tensors)).toHaveLength(4);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    model.dispose();
  });

  it('a failed save (fsync fails: disk full) keeps the previous file and removes the temporary', async () => {
    const path = join(dir, 'keep.safetensors');
    const model = buildModel('mlp');
    await saveSafetensors(model, path);
    const before = readFileSync(path);
    const other = buildModel('mlp');
    failSync.next = true;
    await expectReject(
      saveSafetensors(other, path),
      DataFormatError,
      /saveSafetensors: cannot write .*keep\.safetensors \(ENOSPC/,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // A disposed tensor fails before anything is written.
    other.parameters()[0].dispose();
    await expectReject(saveSafetensors(other, path), DisposedError, /stateDictToSafetensors\('0\.weight'\)/);
    expect(readFileSync(path).equals(before)).toBe(true);
    model.dispose();
    other.dispose();
  });

  it('unwritable and unreadable paths are DataFormatErrors naming the path and the errno', async () => {
    const model = buildModel('mlp');
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    await expectReject(saveSafetensors(model, sub), DataFormatError, /cannot write .*a-directory \(EISDIR/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await expectReject(
      saveSafetensors(model, join(dir, 'no', 'such', 'x.safetensors')),
      DataFormatError,
      /cannot write .*x\.safetensors \(ENOENT/,
    );
    const before = memory().numTensors;
    await expectReject(
      loadSafetensors(model, join(dir, 'missing.safetensors')),
      DataFormatError,
      /loadSafetensors: cannot read .*missing\.safetensors \(ENOENT/,
    );
    await expectReject(
      loadTorchCheckpoint(model, join(CHECKPOINTS, 'evil_system.pt')),
      DataFormatError,
      /evil_system\.pt.*refuses the global posix\.system/,
    );
    expect(memory().numTensors).toBe(before);
    model.dispose();
  });

  it('loadTorchCheckpoint reads a nested checkpoint with { key }; bad arguments are ArgumentErrors', async () => {
    const model = buildModel('mlp');
    await loadTorchCheckpoint(model, join(CHECKPOINTS, 'mlp_nested.pt'), { key: 'model' });
    expectClose(runModel(model, 'mlp').data, fixtures.models.mlp.output.data, 1e-5, 1e-5);
    await expectReject(
      loadTorchCheckpoint(model, '' as string),
      ArgumentError,
      /loadTorchCheckpoint: the path must be a non-empty string/,
    );
    await expectReject(
      saveSafetensors(model, join(dir, 'x.safetensors'), { meta: {} } as never),
      ArgumentError,
      /saveSafetensors: unknown option 'meta'/,
    );
    await expectReject(
      saveSafetensors(model, join(dir, 'x.safetensors'), { metadata: { n: 3 } } as never),
      ArgumentError,
      /metadata 'n' must be a string/,
    );
    model.dispose();
  });
});

describe('README: Saving and loading weights', () => {
  it('the example runs as written (paths under a temporary directory)', async () => {
    const model = new Sequential(new Linear(6, 8), new ReLU(), new Linear(8, 3));
    const path = join(dir, 'mlp.safetensors');
    await saveSafetensors(model, path);
    expect(await loadSafetensors(model, path)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    await loadTorchCheckpoint(model, join(CHECKPOINTS, 'mlp.pt'));
    await loadTorchCheckpoint(model, join(CHECKPOINTS, 'mlp_nested.pt'), { key: 'model' });
    const bytes = await stateDictToSafetensors(model);
    const fresh = new Sequential(new Linear(6, 8), new ReLU(), new Linear(8, 3)).eval();
    loadSafetensorsInto(fresh, bytes);
    expectClose(runModel(fresh, 'mlp').data, fixtures.models.mlp.output.data, 1e-5, 1e-5);
    model.dispose();
    fresh.dispose();
  });
});

describe('the main entry stays browser-safe', () => {
  it('no file that src/index.ts can reach imports node: modules (only src/node does)', () => {
    const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) {
          if (join(d, e.name) !== join(src, 'node')) walk(join(d, e.name));
        } else if (e.name.endsWith('.ts')) files.push(join(d, e.name));
      }
    };
    walk(src);
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((f) =>
      /from 'node:|import\('node:|require\('node:|from 'fs'|from 'path'/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
