import { BackendError, DataFormatError, DisposedError, type Tensor, dispose, tensor } from '@tsdl/tensor';
import { knownLayerClass, layerFromConfig } from '../../layers/registry';
import { type Layer, SymbolicTensor } from '../../layers/layer';
import { Input } from '../../layers/core';
import { Functional } from '../../models/functional';
import type { Model } from '../../models/model';
import { Sequential } from '../../models/sequential';
import type { StTensor } from '../safetensors';
import { isPlanError, withWeightPlan } from '../weight-plan';
import { type FromTfjsContext, layerFromTfjs } from './tfjs-config';
import { type TfjsArtifacts, type TfjsFiles, readTfjsFiles } from './tfjs-read';
import { type DecodedWeight, decodeTfjsWeights } from './tfjs-weights';

/**
 * Loads a TF.js Layers model (model.json + weight shards, as `model.save()` in
 * TF.js or `tensorflowjs_converter --output_format tfjs_layers_model` write
 * them) as a tsdl keras model. The topology is translated layer by layer
 * (tfjs-config.ts); every weight is checked against the file before it is
 * made; anything tsdl cannot run is an error naming the file, and all layers
 * tsdl lacks are listed together.
 */

type Obj = Record<string, any>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function fail(source: string, what: string): never {
  throw new DataFormatError(`${source}: ${what}`);
}

/** Makes one layer from its TF.js entry; errors name the file and the layer. */
function makeLayer(entry: unknown, ctx: FromTfjsContext, where: string, made: Layer[]): Layer {
  if (!isObj(entry) || typeof entry.class_name !== 'string')
    fail(ctx.source, `${where} must be an object { class_name, config }`);
  const translated = layerFromTfjs(entry.class_name, entry.config, ctx, where);
  try {
    const layer = layerFromConfig(translated);
    made.push(layer);
    return layer;
  } catch (e) {
    if (isPlanError(e) || !(e instanceof Error) || e instanceof BackendError || e instanceof DisposedError) throw e;
    const name = typeof translated.config.name === 'string' ? ` '${translated.config.name}'` : '';
    const err = new DataFormatError(
      `${ctx.source}: ${where} (${entry.class_name}${name}): ${e.message.replace(/^loadModel: /, '')}`,
    );
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}

/** Class names of every layer entry (wrapped ones included) that tsdl cannot make, to report them all at once (also for .keras files). */
export function unknownClasses(entries: unknown[], known: (c: string) => boolean): string[] {
  const out = new Set<string>();
  const visit = (e: unknown): void => {
    if (!isObj(e) || typeof e.class_name !== 'string') return;
    if (!known(e.class_name)) out.add(e.class_name);
    if (isObj(e.config)) for (const k of ['layer', 'backward_layer']) visit(e.config[k]);
  };
  entries.forEach(visit);
  return [...out];
}

/** Builds a Keras Sequential config (TF.js' or a .keras file's, whose errors name `field`). */
export function sequential(
  config: Obj | unknown[],
  ctx: FromTfjsContext,
  made: Layer[],
  field = 'modelTopology',
): Model {
  // Keras 2.2 wrote a Sequential's config as its list of layers.
  const c: Obj = Array.isArray(config) ? { layers: config } : config;
  if (!Array.isArray(c.layers)) fail(ctx.source, 'the Sequential config has no list of layers');
  let inputShape: number[] | null = null;
  const layers: Layer[] = [];
  c.layers.forEach((entry: unknown, i: number) => {
    const where = `${field} layers[${i}]`;
    if (isObj(entry) && entry.class_name === 'InputLayer') {
      // Keras 3 starts a Sequential with its InputLayer: it carries the input shape and nothing else.
      inputShape = layerFromTfjs('InputLayer', entry.config, ctx, where).config.shape as number[];
      return;
    }
    layers.push(makeLayer(entry, ctx, where, made));
  });
  const m = new Sequential({ name: typeof c.name === 'string' ? c.name : undefined, layers });
  if (!m.built && inputShape) m.build([null, ...(inputShape as number[])]);
  if (!m.built)
    fail(ctx.source, 'the model has no input shape (no batch_input_shape on its first layer and no InputLayer)');
  return m;
}

/** A reference to a layer's output: [layerName, nodeIndex, tensorIndex] (Keras 2 / TF.js) or Keras 3's keras_history. */
function tensorRef(v: unknown): [string, number, number] | null {
  if (Array.isArray(v) && typeof v[0] === 'string') return [v[0], Number(v[1] ?? 0), Number(v[2] ?? 0)];
  if (isObj(v) && v.class_name === '__keras_tensor__' && isObj(v.config) && Array.isArray(v.config.keras_history)) {
    const h = v.config.keras_history;
    return [String(h[0]), Number(h[1]), Number(h[2])];
  }
  return null;
}

/** The input references and call options of one inbound node, in either format. */
function nodeInputs(node: unknown): { refs: [string, number, number][]; kwargs: Obj } | null {
  if (Array.isArray(node)) {
    const refs = node.map(tensorRef);
    if (refs.some((r) => r === null)) return null;
    const last = node[node.length - 1];
    const kwargs = Array.isArray(last) && isObj(last[3]) ? last[3] : {};
    return { refs: refs as [string, number, number][], kwargs };
  }
  if (isObj(node) && Array.isArray(node.args)) {
    const flat = node.args.flatMap((a: unknown) => (Array.isArray(a) ? a : [a]));
    const refs = flat.map(tensorRef);
    if (refs.some((r: unknown) => r === null)) return null;
    return { refs: refs as [string, number, number][], kwargs: isObj(node.kwargs) ? node.kwargs : {} };
  }
  return null;
}

/** Builds a Keras functional config (TF.js' or a .keras file's, whose errors name `field`). */
export function functional(config: Obj, ctx: FromTfjsContext, made: Layer[], field = 'modelTopology'): Model {
  if (!Array.isArray(config.layers) || !Array.isArray(config.input_layers) || !Array.isArray(config.output_layers)) {
    fail(ctx.source, 'a functional model config needs layers, input_layers and output_layers');
  }
  // Outputs by layer name and node index.
  const outputs = new Map<string, SymbolicTensor[]>();
  const pending: { layer: Layer; name: string; nodes: unknown[]; next: number; where: string }[] = [];
  config.layers.forEach((entry: unknown, i: number) => {
    const where = `${field} layers[${i}]`;
    if (!isObj(entry)) fail(ctx.source, `${where} must be an object`);
    const name = typeof entry.name === 'string' ? entry.name : entry.config?.name;
    if (entry.class_name === 'InputLayer') {
      const c = layerFromTfjs('InputLayer', entry.config, ctx, where).config;
      const input = Input({ shape: c.shape as number[], name: c.name as string });
      made.push(input.layer);
      outputs.set(name, [input]);
      return;
    }
    const layer = makeLayer(entry, ctx, where, made);
    outputs.set(name, []);
    pending.push({ layer, name, nodes: Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [], next: 0, where });
  });
  // Keras lists layers in an order where a shared layer's later node can need a layer listed after it: apply nodes as their inputs appear.
  for (let progress = true; progress; ) {
    progress = false;
    for (const p of pending) {
      while (p.next < p.nodes.length) {
        const node = nodeInputs(p.nodes[p.next]);
        if (!node) fail(ctx.source, `${p.where}.inbound_nodes[${p.next}] is not a list of tensor references`);
        const inputs = node.refs.map(([l, n, t]) => (t === 0 ? outputs.get(l)?.[n] : undefined));
        if (inputs.some((x) => !x)) break;
        const kwargs = Object.keys(node.kwargs).length ? node.kwargs : null;
        const out = p.layer.applySymbolic(inputs as SymbolicTensor[], kwargs);
        (outputs.get(p.name) as SymbolicTensor[]).push(out);
        p.next++;
        progress = true;
      }
    }
  }
  const stuck = pending.find((p) => p.next < p.nodes.length);
  if (stuck) fail(ctx.source, `${stuck.where} ('${stuck.name}') takes an input that no layer of the model produces`);
  const pick = (refs: unknown[], what: string): SymbolicTensor[] =>
    refs.map((r) => {
      const ref = tensorRef(r);
      const t = ref && ref[2] === 0 ? outputs.get(ref[0])?.[ref[1]] : undefined;
      if (!t) fail(ctx.source, `${what} names ${JSON.stringify(r)}, which the model does not produce`);
      return t;
    });
  const ins = pick(config.input_layers, 'input_layers');
  const outs = pick(config.output_layers, 'output_layers');
  const args = {
    inputs: ins.length === 1 ? ins[0] : ins,
    outputs: outs.length === 1 ? outs[0] : outs,
    name: typeof config.name === 'string' ? config.name : undefined,
  };
  return new Functional(args as ConstructorParameters<typeof Functional>[0]);
}

function toStored(w: DecodedWeight): StTensor {
  return { dtype: w.dtype === 'float32' ? 'F32' : w.dtype === 'int32' ? 'I32' : 'BOOL', shape: w.shape, data: w.data };
}

/** Copies the file's weights into the model, by name; every mismatch is listed. */
function assign(model: Model, weights: Map<string, DecodedWeight>, source: string): void {
  const own = model.namedModelWeights();
  const missing = own.filter(([k]) => !weights.has(k)).map(([k]) => k);
  const extra = [...weights.keys()].filter((k) => !own.some(([n]) => n === k));
  if (missing.length || extra.length) {
    fail(
      source,
      `the weights do not match the model (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'})`,
    );
  }
  for (const [name, w] of own) {
    const d = weights.get(name) as DecodedWeight;
    if (d.shape.join() !== w.shape.join())
      fail(source, `weight '${name}' has shape [${d.shape.join(',')}] but the model makes it [${w.shape.join(',')}]`);
    const t = tensor(d.data, d.shape, w.dtype === d.dtype ? d.dtype : w.dtype);
    try {
      w.assign(t);
    } finally {
      t.dispose();
    }
  }
}

/** Builds the model from read files; everything made is freed if it fails. */
export function modelFromTfjsFiles(f: TfjsFiles, isKnown: (className: string) => boolean = knownLayerClass): Model {
  const topo = f.json.modelTopology as Obj;
  // tensorflowjs_converter nests the Keras model under model_config; TF.js' own save does not.
  const modelConfig: Obj = isObj(topo.model_config) ? topo.model_config : topo;
  const kerasVersion = typeof topo.keras_version === 'string' ? topo.keras_version : '';
  let weights: Map<string, DecodedWeight> = new Map();
  const ctx: FromTfjsContext = {
    source: f.source,
    legacyActivations: !/^3\./.test(kerasVersion),
    weightShape: (name) => weights.get(name)?.shape,
  };
  const className = modelConfig.class_name;
  const config = modelConfig.config;
  const entries: unknown[] = Array.isArray(config)
    ? config
    : isObj(config) && Array.isArray(config.layers)
      ? config.layers
      : [];
  const unknown = unknownClasses(entries, (c) => c === 'InputLayer' || isKnown(c));
  if (unknown.length)
    fail(
      f.source,
      `tsdl has no layer class for ${unknown.join(', ')} (the model cannot be loaded; see @tsdl/keras' README for the supported layers)`,
    );
  weights = decodeTfjsWeights(f.weightSpecs, f.weightData, f.source);
  const stored: Record<string, StTensor> = Object.create(null);
  for (const [k, w] of weights) stored[k] = toStored(w);
  const created: Tensor[] = [];
  const made: Layer[] = [];
  let model: Model | null = null;
  try {
    model = withWeightPlan(stored, { config: f.source, weights: f.source }, created, () => {
      if (className === 'Sequential') return sequential(config, ctx, made);
      if (className === 'Model' || className === 'Functional') return functional(config, ctx, made);
      return fail(
        f.source,
        `modelTopology's class_name is ${JSON.stringify(className)}; expected Sequential, Model or Functional`,
      );
    });
    assign(model, weights, f.source);
    return model;
  } catch (e) {
    model?.dispose();
    for (const l of made) l.dispose();
    dispose(created);
    if (
      !(e instanceof Error) ||
      e instanceof DataFormatError ||
      e instanceof BackendError ||
      e instanceof DisposedError
    )
      throw e;
    const err = new DataFormatError(`${f.source}: ${e.message}`);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}

/** Reads a TF.js Layers model: a model.json path (Node), an http(s)/file URL, or TF.js' in-memory ModelArtifacts. */
export async function loadTfjsModel(from: string | URL | TfjsArtifacts): Promise<Model> {
  return modelFromTfjsFiles(await readTfjsFiles(from));
}
