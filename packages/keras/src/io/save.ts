import { type Tensor, DataFormatError, dispose } from '@tsdl/tensor';
import type { Model } from '../models/model';
import { type StTensor, encodeSafetensors } from './safetensors';

/**
 * A saved model is a directory:
 *   config.json           { format, version, className, config, compileConfig }
 *   model.safetensors     every weight, named '<layer>/<weight>' ('dense/kernel')
 *   optimizer.safetensors the optimizer's state (optional), its hyper-parameters in the metadata
 */
export const FORMAT = 'tsdl-keras';
export const VERSION = 1;

export interface ModelArtifacts {
  config: Record<string, unknown>;
  weights: Uint8Array;
  optimizer?: Uint8Array;
}

async function toStored(t: Tensor): Promise<StTensor> {
  const data = await t.data();
  const dtype = t.dtype === 'float32' ? 'F32' : t.dtype === 'int32' ? 'I32' : 'BOOL';
  return { dtype, shape: [...t.shape], data };
}

/** The model as in-memory files (works in browsers too). */
export async function modelToArtifacts(model: Model, options: { includeOptimizer?: boolean } = {}): Promise<ModelArtifacts> {
  const weights: Record<string, StTensor> = {};
  for (const [name, w] of model.namedModelWeights()) weights[name] = await toStored(w);
  const config = {
    format: FORMAT,
    version: VERSION,
    className: model.className,
    config: model.getConfig(),
    compileConfig: model.compileConfig(),
  };
  const out: ModelArtifacts = { config, weights: encodeSafetensors(weights, { format: FORMAT }) };
  if (options.includeOptimizer && model.optimizer) {
    const sd = model.optimizer.stateDict();
    const tensors: Record<string, StTensor> = {};
    for (const [index, entry] of Object.entries(sd.state)) {
      for (const [k, t] of Object.entries(entry.tensors)) tensors[`state/${index}/${k}`] = await toStored(t);
    }
    const meta = {
      optimizer: sd.optimizer,
      stepCount: sd.stepCount,
      groups: sd.groups,
      steps: Object.fromEntries(Object.entries(sd.state).map(([i, e]) => [i, e.step])),
    };
    out.optimizer = encodeSafetensors(tensors, { format: FORMAT, optimizer: JSON.stringify(meta) });
    dispose(Object.values(sd.state).flatMap((e) => Object.values(e.tensors)));
  }
  return out;
}

/** Writes the model's directory (Node). */
export async function saveModel(model: Model, dir: string, options: { includeOptimizer?: boolean } = {}): Promise<void> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const a = await modelToArtifacts(model, options);
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(a.config, null, 2) + '\n');
    await fs.writeFile(path.join(dir, 'model.safetensors'), a.weights);
    if (a.optimizer) await fs.writeFile(path.join(dir, 'optimizer.safetensors'), a.optimizer);
    else await fs.rm(path.join(dir, 'optimizer.safetensors'), { force: true });
  } catch (e) {
    throw new DataFormatError(`save: could not write the model to ${dir}: ${(e as Error).message}`);
  }
}
