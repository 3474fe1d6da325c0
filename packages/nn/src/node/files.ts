import { ArgumentError } from '@tsdl/tensor';
import { readFile } from 'node:fs/promises';
import { checkOptionNames } from '../layers/recurrent/options';
import type { LoadStateDictResult, Module } from '../module';
import {
  type StateDictSource,
  checkModule,
  loadSafetensorsInto,
  loadTorchCheckpointInto,
  stateDictToSafetensors,
} from '../io/state-dict-io';
import { writeFileAtomic } from './atomic-write';
import { ioError } from './io-error';

function checkPath(op: string, path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '') {
    throw new ArgumentError(
      `${op}: the path must be a non-empty string, got ${path === '' ? 'an empty string' : typeof path}`,
    );
  }
}

async function read(op: string, path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw ioError(`${op}: cannot read ${path}`, e);
  }
}

/**
 * Writes a module's state dict (or a name → tensor map) to `path` as
 * safetensors with PyTorch's names; atomic (writeFileAtomic), so an existing
 * file is replaced whole or not at all.
 */
export async function saveSafetensors(
  from: StateDictSource,
  path: string,
  options: { metadata?: Record<string, string> } = {},
): Promise<void> {
  const op = 'saveSafetensors';
  checkPath(op, path);
  checkOptionNames(op, options, ['metadata']);
  const bytes = await stateDictToSafetensors(from, options.metadata);
  await writeFileAtomic(path, bytes, op);
}

/** Loads a safetensors file into `module` (names and shapes checked first; `strict` as loadStateDict). */
export async function loadSafetensors(
  module: Module,
  path: string,
  options: { strict?: boolean } = {},
): Promise<LoadStateDictResult> {
  const op = 'loadSafetensors';
  checkModule(op, module);
  checkPath(op, path);
  checkOptionNames(op, options, ['strict']);
  return loadSafetensorsInto(module, await read(op, path), { ...options, source: path });
}

/** Loads a `torch.save(model.state_dict(), path)` file into `module`; `key` picks a state dict nested in a larger checkpoint dict. */
export async function loadTorchCheckpoint(
  module: Module,
  path: string,
  options: { strict?: boolean; key?: string } = {},
): Promise<LoadStateDictResult> {
  const op = 'loadTorchCheckpoint';
  checkModule(op, module);
  checkPath(op, path);
  checkOptionNames(op, options, ['strict', 'key']);
  return loadTorchCheckpointInto(module, await read(op, path), { ...options, source: path });
}
