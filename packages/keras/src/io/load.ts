import {
  ArgumentError,
  BackendError,
  DataFormatError,
  DisposedError,
  type Tensor,
  dispose,
  tensor,
} from '@tsdl/tensor';
import type { OptimizerStateDict } from '@tsdl/optim';
import { layerFromConfig } from '../layers/registry';
import type { Layer } from '../layers/layer';
import { Functional } from '../models/functional';
import type { AnyModel, Model } from '../models/model';
import { Sequential } from '../models/sequential';
import { checkModelConfig } from './config-check';
import { type ModelSources, readModelDir } from './dir-read';
import { nodeFs } from './model-fs';
import { FORMAT, type ModelArtifacts } from './save';
import { type StTensor, decodeSafetensors } from './safetensors';
import { isPlanError, withWeightPlan } from './weight-plan';

function toTensor(t: StTensor): Tensor {
  return tensor(t.data, t.shape, t.dtype === 'F32' ? 'float32' : t.dtype === 'I32' ? 'int32' : 'bool');
}

/** Makes the layer of config.layers[i], naming the file and the field when its config is refused. */
function makeLayer(entry: any, i: number, source: string, made: Layer[]): Layer {
  try {
    const layer = layerFromConfig(entry);
    made.push(layer);
    return layer;
  } catch (e) {
    if (isPlanError(e) || !(e instanceof Error) || e instanceof BackendError || e instanceof DisposedError) throw e;
    // The registry's message starts 'loadModel: '; here the file and the field come first.
    const err = new DataFormatError(
      `${source}: config.layers[${i}] (${entry.className}): ${e.message.replace(/^loadModel: /, '')}`,
    );
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}

/**
 * Builds the model a checked config describes; every layer made is pushed to `made` as soon as
 * it exists. A model nested in it (a Sequential or functional model used as a layer) is
 * rebuilt by the registry through the same fromConfig.
 */
function rebuild(className: string, config: any, source: string, made: Layer[]): AnyModel {
  const make = (entry: any, i: number): Layer => makeLayer(entry, i, source, made);
  if (className === 'Sequential') return Sequential.fromConfig(config, make);
  return Functional.fromConfig(config, make, source);
}

/** Copies the file's values into the model's weights, after checking that the names, shapes and dtypes agree. */
function assignWeights(model: AnyModel, stored: Record<string, StTensor>, source: string): void {
  const own = model.namedModelWeights();
  const missing = own.filter(([k]) => !(k in stored)).map(([k]) => k);
  const extra = Object.keys(stored).filter((k) => !own.some(([n]) => n === k));
  if (missing.length || extra.length) {
    throw new DataFormatError(
      `${source}: weights do not match the model (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'})`,
    );
  }
  for (const [name, w] of own) {
    const t = stored[name];
    if (t.shape.join() !== w.shape.join()) {
      throw new DataFormatError(
        `${source}: '${name}' has shape [${t.shape.join(',')}] but the model expects [${w.shape.join(',')}]`,
      );
    }
    if ((t.dtype === 'F32') !== (w.dtype === 'float32'))
      throw new DataFormatError(`${source}: '${name}' holds ${t.dtype} values, the model's weight is ${w.dtype}`);
  }
  for (const [name, w] of own) {
    const v = toTensor(stored[name]);
    try {
      w.assign(v);
    } finally {
      v.dispose();
    }
  }
}

interface OptimizerFile {
  meta: { optimizer: string; stepCount: number; groups: OptimizerStateDict['groups']; steps?: Record<string, number> };
  tensors: Record<string, StTensor>;
}

/** Parses the optimizer file before any tensor exists, so a damaged one costs nothing. */
function readOptimizer(bytes: Uint8Array, source: string): OptimizerFile {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  let meta: any;
  try {
    meta = JSON.parse(metadata.optimizer ?? '');
  } catch {
    throw new DataFormatError(`${source}: the 'optimizer' metadata is missing or not JSON`);
  }
  if (meta === null || typeof meta !== 'object' || typeof meta.optimizer !== 'string' || !Array.isArray(meta.groups)) {
    throw new DataFormatError(`${source}: the 'optimizer' metadata must name the optimizer and its groups`);
  }
  for (const key of Object.keys(tensors)) {
    if (!/^state\/\d+\/[A-Za-z_]\w*$/.test(key))
      throw new DataFormatError(`${source}: tensor '${key}' is not named state/<parameter>/<name>`);
  }
  return { meta, tensors };
}

function loadOptimizer(model: AnyModel, file: OptimizerFile, source: string): void {
  const { meta, tensors } = file;
  const state: OptimizerStateDict['state'] = {};
  try {
    for (const [key, t] of Object.entries(tensors)) {
      const [, index, name] = key.split('/');
      (state[index] ??= { step: meta.steps?.[index] ?? 0, tensors: {} }).tensors[name] = toTensor(t);
    }
    const optimizer = (
      model as unknown as { ensureOptimizer(): { loadStateDict(sd: OptimizerStateDict): void } }
    ).ensureOptimizer();
    optimizer.loadStateDict({ optimizer: meta.optimizer, stepCount: meta.stepCount, groups: meta.groups, state });
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    throw new DataFormatError(`${source}: ${(e as Error).message}`);
  } finally {
    dispose(Object.values(state).flatMap((e) => Object.values(e.tensors)));
  }
}

/**
 * Rebuilds a model from its files, in the order that makes a bad file cheap:
 * the config's structure and both safetensors files are checked before any
 * tensor exists, each weight's shape is checked against the file before it is
 * allocated, and if anything still fails, every tensor made so far is freed.
 */
function buildModel(a: ModelArtifacts, src: ModelSources): AnyModel {
  const c = a.config as Record<string, unknown> | null;
  if (c?.format !== FORMAT)
    throw new DataFormatError(`${src.dir}: config.json is not a ${FORMAT} model (format ${JSON.stringify(c?.format)})`);
  checkModelConfig(c, src.config);
  const { tensors: stored } = decodeSafetensors(a.weights, src.weights);
  const compile = c.compileConfig as
    | { loss?: any; lossWeights?: any; metrics?: any; optimizer: any }
    | null
    | undefined;
  const optimizerFile = compile?.loss && a.optimizer ? readOptimizer(a.optimizer, src.optimizer) : null;
  const created: Tensor[] = [];
  const made: Layer[] = [];
  let model: AnyModel | null = null;
  try {
    model = withWeightPlan(stored, { config: src.config, weights: src.weights }, created, () =>
      rebuild(c.className as string, c.config, src.config, made),
    );
    assignWeights(model, stored, src.weights);
    if (compile?.loss) {
      try {
        model.compile({
          loss: compile.loss,
          metrics: compile.metrics,
          optimizer: compile.optimizer,
          ...(compile.lossWeights === undefined ? {} : { lossWeights: compile.lossWeights }),
        });
      } catch (e) {
        throw new DataFormatError(`${src.config}: compileConfig: ${(e as Error).message}`);
      }
      if (optimizerFile) loadOptimizer(model, optimizerFile, src.optimizer);
    }
    return model;
  } catch (e) {
    model?.optimizer?.dispose();
    model?.dispose();
    for (const l of made) l.dispose();
    dispose(created);
    // What a damaged config provokes (a layer refusing its input shape, a duplicate name, a TypeError
    // from a value of the wrong kind) names the file too; a missing backend or a disposed tensor is not the file's fault.
    if (
      !(e instanceof Error) ||
      e instanceof DataFormatError ||
      e instanceof BackendError ||
      e instanceof DisposedError
    )
      throw e;
    const err = new DataFormatError(`${src.config}: ${e.message}`);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}

/**
 * Rebuilds a model from in-memory files: architecture, weights, compile settings and (if saved)
 * optimizer state. `O`: what predict returns (Tensor[] for a model saved with a list of outputs).
 */
export function modelFromArtifacts<O extends Tensor | Tensor[] = Tensor>(
  a: ModelArtifacts,
  source = 'model',
): Model<O> {
  return buildModel(a, {
    dir: source,
    config: `${source}/config.json`,
    weights: `${source}/model.safetensors`,
    optimizer: `${source}/optimizer.safetensors`,
  }) as unknown as Model<O>;
}

/** Loads a model saved with model.save(dir) (Node); directories in the layout before config.json named its files load too. */
export async function loadModel<O extends Tensor | Tensor[] = Tensor>(dir: string): Promise<Model<O>> {
  if (typeof dir !== 'string' || dir.length === 0)
    throw new ArgumentError(`loadModel: the path must be a non-empty string, got ${JSON.stringify(dir)}`);
  const { artifacts, sources } = await readModelDir(await nodeFs('loadModel'), dir);
  return buildModel(artifacts, sources) as unknown as Model<O>;
}
