import { DataFormatError, ShapeError, type Tensor, dispose, tensor } from '@tsdl/tensor';
import type { OptimizerStateDict } from '@tsdl/optim';
import { layerFromConfig } from '../layers/registry';
import { InputLayer } from '../layers/core';
import { SymbolicTensor } from '../layers/layer';
import { Functional } from '../models/functional';
import type { Model } from '../models/model';
import { Sequential } from '../models/sequential';
import { FORMAT, type ModelArtifacts } from './save';
import { type StTensor, decodeSafetensors } from './safetensors';

function toTensor(t: StTensor): Tensor {
  return tensor(t.data, t.shape, t.dtype === 'F32' ? 'float32' : t.dtype === 'I32' ? 'int32' : 'bool');
}

function rebuild(className: string, config: any, source: string): Model {
  if (className === 'Sequential') {
    const m = new Sequential({ name: config.name, layers: (config.layers ?? []).map(layerFromConfig) });
    if (!m.built && config.buildInputShape) m.build([null, ...config.buildInputShape]);
    return m;
  }
  if (className === 'Functional') {
    const made = new Map<string, SymbolicTensor>();
    for (const entry of config.layers ?? []) {
      if (entry.className === 'InputLayer') {
        const layer = new InputLayer(entry.config);
        made.set(layer.name, new SymbolicTensor([null, ...layer.shape], layer, []));
        continue;
      }
      const inputs = (entry.inbound as string[]).map((n) => made.get(n));
      if (inputs.some((i) => !i)) throw new DataFormatError(`${source}: layer '${entry.config?.name}' is connected to a layer that comes later or does not exist`);
      const layer = layerFromConfig(entry);
      made.set(layer.name, layer.apply(inputs[0] as SymbolicTensor));
    }
    const inputs = made.get(config.inputLayer);
    const outputs = made.get(config.outputLayer);
    if (!inputs || !outputs) throw new DataFormatError(`${source}: the input or output layer named in the config is missing`);
    return new Functional({ inputs, outputs, name: config.name });
  }
  throw new DataFormatError(`${source}: unknown model class '${className}'`);
}

/** Rebuilds a model from in-memory files: architecture, weights, compile settings and (if saved) optimizer state. */
export function modelFromArtifacts(a: ModelArtifacts, source = 'model'): Model {
  const c = a.config as any;
  if (c?.format !== FORMAT) throw new DataFormatError(`${source}: config.json is not a ${FORMAT} model (format ${JSON.stringify(c?.format)})`);
  const model = rebuild(c.className, c.config, source);
  const { tensors } = decodeSafetensors(a.weights, `${source}/model.safetensors`);
  const own = model.namedModelWeights();
  const missing = own.filter(([k]) => !(k in tensors)).map(([k]) => k);
  const extra = Object.keys(tensors).filter((k) => !own.some(([n]) => n === k));
  if (missing.length || extra.length) {
    throw new DataFormatError(`${source}/model.safetensors: weights do not match the model (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'})`);
  }
  for (const [name, w] of own) {
    const t = tensors[name];
    if (t.shape.join() !== w.shape.join()) {
      throw new ShapeError(`${source}/model.safetensors: '${name}' has shape [${t.shape.join(',')}] but the model expects [${w.shape.join(',')}]`);
    }
    const v = toTensor(t);
    w.assign(v);
    v.dispose();
  }
  if (c.compileConfig?.loss) {
    model.compile({ loss: c.compileConfig.loss, metrics: c.compileConfig.metrics, optimizer: c.compileConfig.optimizer });
    if (a.optimizer) loadOptimizer(model, a.optimizer, `${source}/optimizer.safetensors`);
  }
  return model;
}

function loadOptimizer(model: Model, bytes: Uint8Array, source: string): void {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  let meta: any;
  try {
    meta = JSON.parse(metadata.optimizer ?? '');
  } catch {
    throw new DataFormatError(`${source}: the 'optimizer' metadata is missing or not JSON`);
  }
  const state: OptimizerStateDict['state'] = {};
  for (const [key, t] of Object.entries(tensors)) {
    const [, index, name] = key.split('/');
    (state[index] ??= { step: meta.steps?.[index] ?? 0, tensors: {} }).tensors[name] = toTensor(t);
  }
  const optimizer = (model as unknown as { ensureOptimizer(): { loadStateDict(sd: OptimizerStateDict): void } }).ensureOptimizer();
  try {
    optimizer.loadStateDict({ optimizer: meta.optimizer, stepCount: meta.stepCount, groups: meta.groups, state });
  } finally {
    dispose(Object.values(state).flatMap((e) => Object.values(e.tensors)));
  }
}

/** Loads a model saved with model.save(dir) (Node). */
export async function loadModel(dir: string): Promise<Model> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const read = async (f: string): Promise<Uint8Array | undefined> => {
    try {
      return new Uint8Array(await fs.readFile(path.join(dir, f)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  };
  const configBytes = await read('config.json');
  const weights = await read('model.safetensors');
  if (!configBytes || !weights) throw new DataFormatError(`loadModel: ${dir} has no ${!configBytes ? 'config.json' : 'model.safetensors'}`);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(new TextDecoder().decode(configBytes));
  } catch (e) {
    throw new DataFormatError(`loadModel: ${path.join(dir, 'config.json')} is not valid JSON (${(e as Error).message})`);
  }
  return modelFromArtifacts({ config, weights, optimizer: await read('optimizer.safetensors') }, dir);
}
