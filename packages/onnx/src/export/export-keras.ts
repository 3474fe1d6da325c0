import type { Layer, Model, SymbolicTensor } from '@tsdl/keras';
import { ArgumentError, type Tensor, Tensor as TensorClass, dispose } from '@tsdl/tensor';
import { onnxTypeOf } from '../data-types';
import { type Dim, GraphBuilder } from './graph-builder';
import { type HostWeight, type LayerExport, type Sym, converterFor, exportableLayers } from './keras-layers';

export interface ExportOnnxOptions {
  /** The default-domain opset to write, 13 to 17 (default 13). LayerNormalization is one node from 17. */
  opset?: number;
  /** Name the batch axis 'batch' so any batch size runs (default true); false fixes the sample's. */
  dynamicBatch?: boolean;
  /** The graph's name (default the model's name). */
  graphName?: string;
}

const KNOWN = ['opset', 'dynamicBatch', 'graphName'];

/** A layer's application: the layer and the symbolic tensors it read (functional models). */
interface Application {
  layer: Layer;
  inputs: Sym[];
  outShape: (number | null)[];
}

/**
 * Writes a Keras model (Sequential or functional, of the layers listed by
 * `exportableLayers()`) as an ONNX model: the bytes of a .onnx file that
 * `loadOnnx` runs and onnx.checker accepts. The graph takes and returns
 * tensors in Keras' layout (channels last), with the sample's shapes (the
 * batch axis symbolic unless `dynamicBatch: false`). The sample input runs
 * through the model once, which builds it; weights are read asynchronously,
 * so this works on every backend. Inference only: Dropout and noise layers are
 * the identity, BatchNormalization uses its moving statistics.
 */
export async function exportOnnx(
  model: Model<Tensor | Tensor[]>,
  sampleInput: Tensor | readonly Tensor[],
  options: ExportOnnxOptions = {},
): Promise<Uint8Array> {
  if (options === null || typeof options !== 'object')
    throw new ArgumentError(`exportOnnx: options must be an object, got ${String(options)}`);
  const unknown = Object.keys(options).filter((k) => !KNOWN.includes(k));
  if (unknown.length > 0)
    throw new ArgumentError(
      `exportOnnx: unknown option ${unknown.map((u) => `'${u}'`).join(', ')}; known: ${KNOWN.join(', ')}`,
    );
  const opset = options.opset ?? 13;
  if (!Number.isInteger(opset) || opset < 13 || opset > 17)
    throw new ArgumentError(`exportOnnx: opset must be an integer from 13 to 17, got ${String(opset)}`);
  const samples = sampleInput instanceof TensorClass ? [sampleInput] : [...(sampleInput as readonly Tensor[])];
  if (samples.length === 0 || !samples.every((s) => s instanceof TensorClass))
    throw new ArgumentError('exportOnnx: sampleInput must be a tensor (or a list of tensors, one per model input)');
  if (samples.some((s) => s.rank < 1)) throw new ArgumentError('exportOnnx: a sample input needs a batch axis');
  const className = (model as { className?: string }).className;
  if (className !== 'Sequential' && className !== 'Functional')
    throw new ArgumentError(
      `exportOnnx: model must be a Keras Sequential or functional model, got ${className ?? typeof model}`,
    );

  // One pass builds every layer and gives the output shapes.
  const predicted = model.predict(samples.length === 1 ? samples[0] : samples);
  const outputs = Array.isArray(predicted) ? predicted : [predicted];
  const outShapes = outputs.map((o) => [...o.shape]);
  const outTypes = outputs.map((o) => onnxTypeOf(o.dtype));
  dispose(outputs);

  const b = new GraphBuilder();
  const dims = (shape: readonly number[]): Dim[] =>
    shape.map((d, i) => (i === 0 && options.dynamicBatch !== false ? 'batch' : d));
  const plan =
    className === 'Sequential' ? sequentialPlan(model, samples[0], b, dims) : functionalPlan(model, samples, b, dims);
  const ctx = { b, opset };
  const values = new Map<Application, string>();
  const problems = plan.applications.map((a) => a.layer).filter((l) => !converterFor(l.className));
  if (problems.length > 0) {
    throw new ArgumentError(
      `exportOnnx: cannot export layer${problems.length > 1 ? 's' : ''} ${[...new Set(problems.map((l) => `'${l.name}' (${l.className})`))].join(', ')}; the exporter converts ${exportableLayers().join(', ')}`,
    );
  }
  const weightCache = new Map<Layer, Map<string, HostWeight>>();
  for (const app of plan.applications) {
    const layer = app.layer;
    let weights = weightCache.get(layer);
    if (!weights) {
      weights = new Map();
      for (const [name, t] of layer.namedWeights())
        weights.set(name, { data: Float32Array.from(await t.data()), shape: [...t.shape] });
      weightCache.set(layer, weights);
    }
    const exported: LayerExport = {
      className: layer.className,
      name: layer.name,
      config: layer.getConfig(),
      weights,
      outShape: app.outShape,
    };
    const inputs = app.inputs.map((s) => ({ name: plan.resolve(s, values), shape: s.shape }));
    values.set(app, converterFor(layer.className)!(exported, inputs, ctx));
  }
  plan.outputs.forEach((o, i) =>
    b.output(plan.resolve(o, values), plan.outputNames[i], outTypes[i], dims(outShapes[i])),
  );
  return b.encode({
    opset,
    producer: 'tsdl',
    graphName: options.graphName ?? model.name,
    docString: `Exported by @tsdl/onnx from Keras model '${model.name}'`,
  });
}

interface Plan {
  applications: Application[];
  /** Sym placeholders for the model's outputs. */
  outputs: Sym[];
  outputNames: string[];
  /** The ONNX value of a Sym: a graph input's name, or the output of the application it stands for. */
  resolve(s: Sym, values: Map<Application, string>): string;
}

/** Sequential: the layers one after another, shapes from computeOutputShape. */
function sequentialPlan(
  model: Model<Tensor | Tensor[]>,
  sample: Tensor,
  b: GraphBuilder,
  dims: (s: readonly number[]) => Dim[],
): Plan {
  const layers = (model as unknown as { layers: Layer[] }).layers.filter((l) => l.className !== 'InputLayer');
  const input = b.input('input', onnxTypeOf(sample.dtype), dims(sample.shape));
  let shape: (number | null)[] = [null, ...sample.shape.slice(1)];
  const apps: Application[] = [];
  const refs = new Map<Sym, Application>();
  let current: Sym = { name: input, shape };
  for (const layer of layers) {
    shape = layer.computeOutputShape(shape);
    const app: Application = { layer, inputs: [current], outShape: shape };
    apps.push(app);
    current = { name: '', shape };
    refs.set(current, app);
  }
  return {
    applications: apps,
    outputs: [current],
    outputNames: ['output'],
    resolve: (s, values) => (s.name !== '' ? s.name : (values.get(refs.get(s)!) as string)),
  };
}

/** Functional: the layer graph from the outputs back to the inputs, in an order that runs. */
function functionalPlan(
  model: Model<Tensor | Tensor[]>,
  samples: Tensor[],
  b: GraphBuilder,
  dims: (s: readonly number[]) => Dim[],
): Plan {
  const m = model as unknown as {
    inputs: SymbolicTensor | SymbolicTensor[];
    outputs: SymbolicTensor | SymbolicTensor[];
  };
  const ins = Array.isArray(m.inputs) ? m.inputs : [m.inputs];
  const outs = Array.isArray(m.outputs) ? m.outputs : [m.outputs];
  if (ins.length !== samples.length)
    throw new ArgumentError(
      `exportOnnx: the model has ${ins.length} inputs but ${samples.length} sample tensors were given`,
    );
  const syms = new Map<SymbolicTensor, Sym>();
  const apps: Application[] = [];
  const refs = new Map<Sym, Application>();
  ins.forEach((t, i) =>
    syms.set(t, { name: b.input(t.layer.name, onnxTypeOf(samples[i].dtype), dims(samples[i].shape)), shape: t.shape }),
  );
  const visit = (t: SymbolicTensor): Sym => {
    const known = syms.get(t);
    if (known) return known;
    if (t.inputs.length === 0)
      throw new ArgumentError(`exportOnnx: input layer '${t.layer.name}' is not among the model's inputs`);
    const inputs = t.inputs.map(visit);
    const app: Application = { layer: t.layer, inputs, outShape: t.shape };
    apps.push(app);
    const s: Sym = { name: '', shape: t.shape };
    refs.set(s, app);
    syms.set(t, s);
    return s;
  };
  const outputs = outs.map(visit);
  return {
    applications: apps,
    outputs,
    outputNames: outs.map((o) => o.layer.name),
    resolve: (s, values) => (s.name !== '' ? s.name : (values.get(refs.get(s)!) as string)),
  };
}
