import { DataFormatError } from '@tsdl/tensor';
import { InputLayer } from '../layers/core';
import { type Layer, SymbolicTensor } from '../layers/layer';
import { type Graph, isInputNode } from './graph';

/** Makes the layer of a saved `{ className, config }` entry (`index`: its place in config.layers, for errors). */
export type MakeLayer = (entry: { className: string; config: Record<string, unknown> }, index: number) => Layer;

/**
 * A functional model's config, in Keras' layout (camelCased): every layer once, with its
 * inbound nodes; each node lists its inputs as [layer name, node index, tensor index] (a
 * node's call options, MultiHeadAttention's useCausalMask, as a 4th element of each, as
 * Keras 2 writes its kwargs). A layer applied at several nodes (shared weights) has
 * several inbound nodes; node indices count a layer's nodes in this model. inputLayers and
 * outputLayers name the model's inputs and outputs; outputsAsList records that the outputs
 * were a list (predict returns a list).
 */
export function functionalConfig(
  name: string,
  trainable: boolean,
  graph: Graph,
  listOutputs: boolean,
): Record<string, unknown> {
  const ref = (t: SymbolicTensor): [string, number, number] => [t.layer.name, graph.nodeIndex(t), 0];
  return {
    name,
    ...(trainable ? {} : { trainable: false }),
    layers: graph.allLayers.map((l) => ({
      className: l.className,
      config: l.getConfig(),
      inboundNodes: graph
        .layerNodes(l)
        .filter((n) => !isInputNode(n))
        .map((n) => n.inputs.map((i) => (n.callArgs === null ? ref(i) : [...ref(i), n.callArgs]))),
    })),
    inputLayers: graph.inputs.map(ref),
    outputLayers: graph.outputs.map(ref),
    ...(listOutputs ? { outputsAsList: true } : {}),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** A reference [layer, node, tensor] (the tensor index always 0: layers here have one output). */
function isRef(v: unknown): v is [string, number, number, ...unknown[]] {
  return (
    Array.isArray(v) &&
    v.length >= 3 &&
    v.length <= 4 &&
    typeof v[0] === 'string' &&
    Number.isSafeInteger(v[1]) &&
    (v[1] as number) >= 0 &&
    v[2] === 0 &&
    (v.length === 3 || isObject(v[3]))
  );
}

/**
 * Throws a DataFormatError naming `source` and the field unless `config` has the structure
 * of a functional model's config: the current layout (inboundNodes, inputLayers,
 * outputLayers) or the one before it (one node per entry, `inbound` layer names,
 * inputLayer, outputLayer). Checked before any layer is made.
 */
export function checkFunctionalConfig(config: Record<string, unknown>, source: string, field = 'config'): void {
  const fail = (f: string, expected: string, got: unknown): never => {
    throw new DataFormatError(`${source}: ${field}.${f} must be ${expected}, got ${show(got)}`);
  };
  if (!Array.isArray(config.layers)) fail('layers', 'a list of layers', config.layers);
  const layers = config.layers as unknown[];
  const current = config.inputLayers !== undefined;
  layers.forEach((l, i) => {
    if (!isObject(l)) fail(`layers[${i}]`, 'an object', l);
    const entry = l as Record<string, unknown>;
    if (typeof entry.className !== 'string') fail(`layers[${i}].className`, 'a string', entry.className);
    if (!isObject(entry.config)) fail(`layers[${i}].config`, 'an object', entry.config);
    const c = entry.config as Record<string, unknown>;
    if (entry.className === 'InputLayer') {
      if (!Array.isArray(c.shape) || !c.shape.every((d) => Number.isSafeInteger(d) && d > 0))
        fail(`layers[${i}].config.shape`, 'a list of positive integers', c.shape);
    } else if (current) {
      const nodes = entry.inboundNodes;
      if (!Array.isArray(nodes) || nodes.length === 0)
        fail(`layers[${i}].inboundNodes`, 'a non-empty list of nodes', nodes);
      (nodes as unknown[]).forEach((n, j) => {
        if (!Array.isArray(n) || n.length === 0 || !n.every(isRef))
          fail(`layers[${i}].inboundNodes[${j}]`, 'a non-empty list of [layer, node, 0] references', n);
      });
    } else if (
      !Array.isArray(entry.inbound) ||
      entry.inbound.length === 0 ||
      !entry.inbound.every((n) => typeof n === 'string')
    ) {
      fail(`layers[${i}].inbound`, 'a non-empty list of layer names', entry.inbound);
    } else if (entry.callArgs !== undefined && !isObject(entry.callArgs)) {
      fail(`layers[${i}].callArgs`, 'an object', entry.callArgs);
    }
  });
  if (current) {
    for (const key of ['inputLayers', 'outputLayers']) {
      const v = config[key];
      if (!Array.isArray(v) || v.length === 0 || !v.every(isRef))
        fail(key, 'a non-empty list of [layer, node, 0] references', v);
    }
  } else {
    if (typeof config.inputLayer !== 'string') fail('inputLayer', 'a string', config.inputLayer);
    if (typeof config.outputLayer !== 'string') fail('outputLayer', 'a string', config.outputLayer);
  }
}

/**
 * The inputs and outputs of a saved functional model, rebuilt: each layer made once, then
 * its nodes applied as soon as their inputs exist (a shared layer's later node may read a
 * layer listed after it, as in Keras' configs). Configs of the earlier layout (one entry per
 * node, layers named in `inbound`) still load.
 */
export function functionalFromConfig(
  config: Record<string, unknown>,
  makeLayer: MakeLayer,
  source: string,
): { inputs: SymbolicTensor[]; outputs: SymbolicTensor[]; listOutputs: boolean } {
  checkFunctionalConfig(config, source);
  const entries = config.layers as {
    className: string;
    config: Record<string, unknown>;
    inboundNodes?: unknown[][];
    inbound?: string[];
    callArgs?: Record<string, unknown>;
  }[];
  // The nodes made so far, by layer name, in node order.
  const made = new Map<string, SymbolicTensor[]>();
  const fail = (message: string): never => {
    throw new DataFormatError(`${source}: ${message}`);
  };
  const makeInput = (entry: (typeof entries)[number], i: number): void => {
    const layer = makeLayer(entry, i);
    if (!(layer instanceof InputLayer)) fail(`config.layers[${i}] is not an InputLayer`);
    if (made.has(layer.name)) fail(`config.layers[${i}]: a second layer is named '${layer.name}'`);
    made.set(layer.name, [new SymbolicTensor([null, ...(layer as InputLayer).shape], layer, [])]);
  };
  if (config.inputLayers === undefined) {
    // The earlier layout: one entry per node, in execution order, inputs named by layer.
    entries.forEach((entry, i) => {
      if (entry.className === 'InputLayer') return makeInput(entry, i);
      const inputs = (entry.inbound as string[]).map((n) => made.get(n)?.[0]);
      if (inputs.some((t) => !t))
        fail(
          `config.layers[${i}] ('${entry.config?.name}') is connected to a layer that comes later or does not exist`,
        );
      const layer = makeLayer(entry, i);
      made.set(layer.name, [layer.applySymbolic(inputs as SymbolicTensor[], entry.callArgs ?? null)]);
    });
    const input = made.get(config.inputLayer as string)?.[0];
    const output = made.get(config.outputLayer as string)?.[0];
    if (!input || !output) fail('the input or output layer named in the config is missing');
    return { inputs: [input as SymbolicTensor], outputs: [output as SymbolicTensor], listOutputs: false };
  }
  const pending: { layer: Layer; nodes: unknown[][]; next: number; index: number }[] = [];
  entries.forEach((entry, i) => {
    if (entry.className === 'InputLayer') return makeInput(entry, i);
    const layer = makeLayer(entry, i);
    if (made.has(layer.name)) fail(`config.layers[${i}]: a second layer is named '${layer.name}'`);
    made.set(layer.name, []);
    pending.push({ layer, nodes: entry.inboundNodes as unknown[][], next: 0, index: i });
  });
  const lookup = (ref: unknown[]): SymbolicTensor | undefined => made.get(ref[0] as string)?.[ref[1] as number];
  for (let progress = true; progress; ) {
    progress = false;
    for (const p of pending) {
      while (p.next < p.nodes.length) {
        const refs = p.nodes[p.next] as unknown[][];
        const inputs = refs.map(lookup);
        if (inputs.some((t) => !t)) break;
        const callArgs = (refs[0][3] as Record<string, unknown> | undefined) ?? null;
        (made.get(p.layer.name) as SymbolicTensor[]).push(p.layer.applySymbolic(inputs as SymbolicTensor[], callArgs));
        p.next++;
        progress = true;
      }
    }
  }
  const stuck = pending.find((p) => p.next < p.nodes.length);
  if (stuck)
    fail(
      `config.layers[${stuck.index}] ('${stuck.layer.name}') inboundNodes[${stuck.next}] reads a node that no layer of the model makes`,
    );
  const pick = (key: string): SymbolicTensor[] =>
    (config[key] as unknown[][]).map((r) => {
      const t = lookup(r);
      if (!t) fail(`config.${key} names ${show(r)}, which the model does not make`);
      return t as SymbolicTensor;
    });
  return { inputs: pick('inputLayers'), outputs: pick('outputLayers'), listOutputs: config.outputsAsList === true };
}
