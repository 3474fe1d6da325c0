import { ArgumentError, type Tensor, dispose } from '@tsdl/tensor';
import type { AnyModel } from '../models/model';
import { checkOptions, describeValue } from '../models/options';
import { inCallOrder, writeModelDir } from './dir-write';
import { nodeFs } from './model-fs';
import { type StTensor, encodeSafetensors } from './safetensors';
import { checkModelPath, prepareDir } from './save-path';

/**
 * A saved model is a config (JSON: { format, version, className, config,
 * compileConfig }), the weights as safetensors (every weight, named
 * '<layer>/<weight>', 'dense/kernel') and optionally the optimizer's state as
 * safetensors (its hyper-parameters in the metadata). In memory these are
 * ModelArtifacts; on disk a directory, laid out as dir-layout.ts describes.
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
export async function modelToArtifacts(
  model: AnyModel,
  options: { includeOptimizer?: boolean } = {},
): Promise<ModelArtifacts> {
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
    try {
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
    } finally {
      dispose(Object.values(sd.state).flatMap((e) => Object.values(e.tensors)));
    }
  }
  return out;
}

/** Checks save's options: unknown names are errors, as everywhere in tsdl. */
function checkSaveOptions(options: unknown): { includeOptimizer?: boolean } {
  const o = checkOptions('save', options as { includeOptimizer?: boolean } | undefined, ['includeOptimizer']);
  if (o.includeOptimizer !== undefined && typeof o.includeOptimizer !== 'boolean') {
    throw new ArgumentError(`save: includeOptimizer must be true or false, got ${describeValue(o.includeOptimizer)}`);
  }
  return o;
}

/**
 * Writes the model's directory (Node). The save is atomic (dir-write.ts): the
 * directory holds the previous model until the new one is complete on disk,
 * and a save that fails or is killed leaves the previous model loadable.
 */
export async function saveModel(
  model: AnyModel,
  dir: string,
  options: { includeOptimizer?: boolean } = {},
): Promise<void> {
  checkModelPath(dir, 'save');
  const opts = checkSaveOptions(options);
  await inCallOrder(dir, async () => {
    const fs = await nodeFs('save');
    // A path that cannot hold a model (/proc, a file in the way) fails before the weights are read.
    await prepareDir(fs, dir, 'save');
    const a = await modelToArtifacts(model, opts);
    await writeModelDir(fs, dir, a);
  });
}
