import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CharVocabulary } from '@tsdl/data-text';
import { type StTensor, decodeSafetensors, encodeSafetensors } from '@tsdl/keras';
import type { OptimizerStateDict, SchedulerStateDict } from '@tsdl/optim';
import { DataFormatError, type Tensor, tensor } from '@tsdl/tensor';
import { type GptConfig, checkConfig } from './model';
import type { Recipe } from './recipe';

/**
 * A checkpoint is one safetensors file, `<dir>/ckpt.safetensors`: the model's
 * state dict under `model.<name>`, AdamW's moments under
 * `optim.<param index>.<state name>`, and everything else (config, recipe,
 * vocabulary, iteration, generator states, optimizer hyper-parameters and
 * steps, schedule) as JSON in the metadata entry `char-gpt`. One file, written
 * to a temporary name and renamed, so a crash mid-write leaves the previous
 * checkpoint whole.
 */
export const CHECKPOINT_FILE = 'ckpt.safetensors';
const META_KEY = 'char-gpt';
const FORMAT = 1;

/** What a checkpoint holds besides tensors. */
export interface CheckpointMeta {
  config: GptConfig;
  recipe: Recipe;
  vocab: string[];
  seed: number;
  /** Optimizer steps taken. */
  iter: number;
  /** The batch and evaluation generators' states. */
  rng: { train: number; eval: number };
  scheduler: SchedulerStateDict;
}

/** A checkpoint read back: tensors are on the active backend and owned by the caller. */
export interface Checkpoint {
  meta: CheckpointMeta;
  vocab: CharVocabulary;
  model: Record<string, Tensor>;
  optimizer: OptimizerStateDict;
}

async function stTensor(t: Tensor): Promise<StTensor> {
  const data = await t.data();
  if (t.dtype !== 'float32') throw new DataFormatError(`checkpoint: only float32 tensors are saved, got ${t.dtype}`);
  return { dtype: 'F32', shape: [...t.shape], data: Float32Array.from(data as Float32Array) };
}

/** Writes the checkpoint atomically; `optimizer` is a stateDict() snapshot (the caller disposes its tensors). */
export async function saveCheckpoint(
  dir: string,
  meta: CheckpointMeta,
  model: Record<string, Tensor>,
  optimizer: OptimizerStateDict,
): Promise<string> {
  const tensors: Record<string, StTensor> = {};
  for (const [k, t] of Object.entries(model)) tensors[`model.${k}`] = await stTensor(t);
  const steps: Record<string, number> = {};
  for (const [i, st] of Object.entries(optimizer.state)) {
    steps[i] = st.step;
    for (const [name, t] of Object.entries(st.tensors)) tensors[`optim.${i}.${name}`] = await stTensor(t);
  }
  const optim = { optimizer: optimizer.optimizer, stepCount: optimizer.stepCount, groups: optimizer.groups, steps };
  const bytes = encodeSafetensors(tensors, { [META_KEY]: JSON.stringify({ format: FORMAT, ...meta, optim }) });
  await mkdir(dir, { recursive: true });
  const file = join(dir, CHECKPOINT_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return file;
}

/** Reads `<dir>/ckpt.safetensors`; a missing or malformed file is a DataFormatError naming it. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const file = join(dir, CHECKPOINT_FILE);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new DataFormatError(
      `${file}: cannot read the checkpoint (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  let parsed: CheckpointMeta & {
    format?: number;
    optim?: Omit<OptimizerStateDict, 'state'> & { steps: Record<string, number> };
  };
  try {
    parsed = JSON.parse(metadata[META_KEY] ?? 'null');
  } catch (e) {
    throw new DataFormatError(`${file}: metadata '${META_KEY}' is not JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.format !== FORMAT || !parsed.optim) {
    throw new DataFormatError(
      `${file}: not a char-gpt checkpoint of format ${FORMAT} (metadata '${META_KEY}' missing or of another format)`,
    );
  }
  const { format: _format, optim, ...meta } = parsed;
  let config: GptConfig;
  try {
    config = checkConfig(meta.config, file);
  } catch (e) {
    throw new DataFormatError((e as Error).message);
  }
  const vocab = CharVocabulary.fromJSON({ chars: meta.vocab }, `${file} vocabulary`);
  if (vocab.size !== config.vocabSize)
    throw new DataFormatError(`${file}: ${vocab.size} vocabulary characters but vocabSize ${config.vocabSize}`);
  const made: Tensor[] = [];
  const make = (t: StTensor, name: string): Tensor => {
    if (t.dtype !== 'F32') throw new DataFormatError(`${file}: tensor '${name}' is ${t.dtype}, expected F32`);
    const out = tensor(t.data, t.shape, 'float32').keep();
    made.push(out);
    return out;
  };
  try {
    const model: Record<string, Tensor> = {};
    const state: OptimizerStateDict['state'] = {};
    for (const [name, t] of Object.entries(tensors)) {
      const m = /^model\.(.+)$/.exec(name) ?? null;
      const o = /^optim\.(\d+)\.(\w+)$/.exec(name);
      if (m) model[m[1]] = make(t, name);
      else if (o) {
        const step = optim.steps[o[1]];
        if (!Number.isInteger(step))
          throw new DataFormatError(`${file}: no step count for optimizer state of parameter ${o[1]}`);
        (state[o[1]] ??= { step, tensors: {} }).tensors[o[2]] = make(t, name);
      } else throw new DataFormatError(`${file}: unexpected tensor '${name}'`);
    }
    return {
      meta: { ...meta, config },
      vocab,
      model,
      optimizer: { optimizer: optim.optimizer, stepCount: optim.stepCount, groups: optim.groups, state },
    };
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
}

/** Frees a loaded checkpoint's tensors. */
export function disposeCheckpoint(c: Checkpoint): void {
  for (const t of Object.values(c.model)) t.dispose();
  for (const st of Object.values(c.optimizer.state)) for (const t of Object.values(st.tensors)) t.dispose();
}
