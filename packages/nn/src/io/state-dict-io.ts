import { ArgumentError, ShapeError, Tensor, dispose, tensor } from '@tsdl/tensor';
import { fmtShape, shapesEqual } from '@tsdl/tensor/internal';
import { checkOptionNames } from '../layers/recurrent/options';
import { type LoadStateDictResult, Module } from '../module';
import { type StTensor, decodeSafetensors, encodeSafetensors } from './safetensors';
import { type DecodeTorchOptions, decodeTorchCheckpoint } from './torch-checkpoint';

/**
 * State dicts in and out of files, as bytes (browsers and Node alike; the
 * path forms are in `@tsdl/nn/node`). Names are the module's stateDict()
 * names, which are PyTorch's, so a file written here loads in PyTorch with
 * `load_state_dict(safetensors.torch.load_file(path))` and the other way.
 */

export interface LoadFileOptions {
  /** Missing and unexpected names are errors (default true). Shape mismatches are always errors. */
  strict?: boolean;
  /** Names the file in errors. */
  source?: string;
}

export interface LoadTorchOptions extends LoadFileOptions {
  /** Reads the state dict stored under this key of a larger checkpoint dict. */
  key?: string;
}

/** A module or a state dict (name → tensor). */
export type StateDictSource = Module | Record<string, Tensor>;

async function toStored(t: Tensor): Promise<StTensor> {
  const data = await t.data();
  const dtype = t.dtype === 'float32' ? 'F32' : t.dtype === 'int32' ? 'I32' : 'BOOL';
  return { dtype, shape: [...t.shape], data: data as StTensor['data'] };
}

function stateDictOf(op: string, from: StateDictSource): Record<string, Tensor> {
  if (from instanceof Module) return from.stateDict();
  if (from === null || typeof from !== 'object' || Array.isArray(from)) {
    throw new ArgumentError(
      `${op}: expected a Module or a state dict (name → Tensor), got ${from === null ? 'null' : Array.isArray(from) ? 'an array' : typeof from}`,
    );
  }
  for (const [k, t] of Object.entries(from)) {
    if (!(t instanceof Tensor)) throw new ArgumentError(`${op}: the value of '${k}' is not a Tensor`);
  }
  return from;
}

function checkMetadata(op: string, metadata: unknown): Record<string, string> {
  if (metadata === undefined) return {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
    throw new ArgumentError(`${op}: metadata must be an object of strings`);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new ArgumentError(`${op}: metadata '${k}' must be a string, got ${typeof v}`);
  }
  return metadata as Record<string, string>;
}

/**
 * The safetensors bytes of a module's state dict (or of any name → tensor
 * map). Reads tensors asynchronously, so it works on every backend. The
 * metadata gets `format: "pt"` unless given, which Hugging Face's loaders
 * look for.
 */
export async function stateDictToSafetensors(
  from: StateDictSource,
  metadata?: Record<string, string>,
): Promise<Uint8Array> {
  const op = 'stateDictToSafetensors';
  const dict = stateDictOf(op, from);
  const meta = checkMetadata(op, metadata);
  for (const [k, t] of Object.entries(dict)) t.assertAlive(`${op}('${k}')`);
  const stored: Record<string, StTensor> = Object.create(null);
  for (const [k, t] of Object.entries(dict)) stored[k] = await toStored(t);
  return encodeSafetensors(stored, { format: 'pt', ...meta });
}

/** Host values → tensors; on failure every tensor made so far is freed. */
export function storedToTensors(
  stored: Record<string, StTensor>,
  names: readonly string[] = Object.keys(stored),
): Record<string, Tensor> {
  const out: Record<string, Tensor> = Object.create(null);
  try {
    for (const k of names) {
      const s = stored[k];
      out[k] = tensor(s.data, s.shape, s.dtype === 'F32' ? 'float32' : s.dtype === 'I32' ? 'int32' : 'bool');
    }
  } catch (e) {
    dispose(Object.values(out));
    throw e;
  }
  return out;
}

/**
 * Loads host values into `module`: names and shapes are checked against the
 * module before any tensor is made, then the values are assigned in place
 * (the module's tensors keep their identity) and the temporaries freed.
 */
export function loadStoredInto(
  module: Module,
  stored: Record<string, StTensor>,
  strict: boolean,
  op: string,
  source: string,
): LoadStateDictResult {
  const own = module.stateDict();
  const missingKeys = Object.keys(own).filter((k) => !Object.hasOwn(stored, k));
  const unexpectedKeys = Object.keys(stored).filter((k) => !Object.hasOwn(own, k));
  const owner = module.constructor.name;
  if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
    const parts: string[] = [];
    if (missingKeys.length > 0) parts.push(`missing keys: ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
    if (unexpectedKeys.length > 0) parts.push(`unexpected keys: ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
    throw new ArgumentError(`${op}: ${source} does not match ${owner} (${parts.join('; ')})`);
  }
  const shared = Object.keys(own).filter((k) => Object.hasOwn(stored, k));
  for (const k of shared) {
    if (!shapesEqual(stored[k].shape, own[k].shape)) {
      throw new ShapeError(
        `${op}: ${source}: '${k}' has shape ${fmtShape(stored[k].shape)} in the file but ${fmtShape(own[k].shape)} in ${owner}`,
      );
    }
  }
  const made = storedToTensors(stored, shared);
  try {
    module.loadStateDict(made, { strict: false });
  } finally {
    dispose(Object.values(made));
  }
  return { missingKeys, unexpectedKeys };
}

/** `strict` as given (default true); anything but a boolean is an error rather than truthy. */
export function strictOption(op: string, strict: unknown): boolean {
  if (strict === undefined) return true;
  if (typeof strict !== 'boolean')
    throw new ArgumentError(`${op}: strict must be true or false, got ${String(strict)}`);
  return strict;
}

function checkBytes(op: string, bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array))
    throw new ArgumentError(
      `${op}: expected the file's bytes as a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`,
    );
}

export function checkModule(op: string, module: unknown): asserts module is Module {
  if (!(module instanceof Module)) throw new ArgumentError(`${op}: the first argument must be a Module`);
}

/** Reads safetensors bytes into `module`'s parameters and buffers (see loadStoredInto). */
export function loadSafetensorsInto(
  module: Module,
  bytes: Uint8Array,
  options: LoadFileOptions = {},
): LoadStateDictResult {
  const op = 'loadSafetensorsInto';
  checkModule(op, module);
  checkBytes(op, bytes);
  checkOptionNames(op, options, ['strict', 'source']);
  const source = options.source ?? 'safetensors';
  const strict = strictOption(op, options.strict);
  return loadStoredInto(module, decodeSafetensors(bytes, source).tensors, strict, op, source);
}

/** safetensors bytes → a new state dict of tensors, which the caller owns (dispose them). */
export function safetensorsToStateDict(bytes: Uint8Array, options: { source?: string } = {}): Record<string, Tensor> {
  checkBytes('safetensorsToStateDict', bytes);
  checkOptionNames('safetensorsToStateDict', options, ['source']);
  return storedToTensors(decodeSafetensors(bytes, options.source ?? 'safetensors').tensors);
}

/** A `torch.save(state_dict)` file's bytes → a new state dict of tensors, which the caller owns. */
export function torchCheckpointToStateDict(
  bytes: Uint8Array,
  options: DecodeTorchOptions = {},
): Record<string, Tensor> {
  return storedToTensors(decodeTorchCheckpoint(bytes, options).tensors);
}

/** Reads a `torch.save(model.state_dict())` file's bytes into `module` (see loadStoredInto). */
export function loadTorchCheckpointInto(
  module: Module,
  bytes: Uint8Array,
  options: LoadTorchOptions = {},
): LoadStateDictResult {
  const op = 'loadTorchCheckpointInto';
  checkModule(op, module);
  checkBytes(op, bytes);
  checkOptionNames(op, options, ['strict', 'source', 'key']);
  const strict = strictOption(op, options.strict);
  const source = options.source ?? 'torch checkpoint';
  const { tensors } = decodeTorchCheckpoint(bytes, { source, key: options.key });
  return loadStoredInto(module, tensors, strict, op, source);
}
