import { type Model, loadTfjsModel, modelFromArtifacts } from '@tsdl/keras';
import { type OnnxModel, loadOnnx } from '@tsdl/onnx';
import { DTypeError, dispose, tensor } from '@tsdl/tensor';
import type { LoadedModelInfo, ModelFiles, ModelSource } from '../protocol';
import { KERAS_LAYOUTS, ONNX_LAYOUTS, type Dim, mnistLayout, showShape, singleInOut } from './mnist-input';
import { countParameters, inputShapeOf, recognise } from './models';

/**
 * The model the page predicts with and validates: a keras model (built and
 * trained here, or loaded from tsdl's or TF.js' files), which can be trained
 * further and saved, or an ONNX graph, which tsdl runs but cannot train or
 * save in its own format. Both answer `classify` with ten probabilities per
 * image.
 */
export type CurrentModel =
  | { kind: 'keras'; model: Model; source: ModelSource; name: string; sample: number[] }
  | {
      kind: 'onnx';
      model: OnnxModel;
      name: string;
      sample: number[];
      /** A fixed batch size the graph was exported with, or null when the batch axis is dynamic. */
      batch: number | null;
      input: string;
      output: string;
      /** Its outputs are not probabilities (logits, log-probabilities): classify takes their softmax. */
      softmax: boolean;
      /** The file, kept so a backend switch can load the graph again on the new backend. */
      bytes: Uint8Array;
    };

/** How many images one predict call takes (memory stays small on either backend). */
const CHUNK = 256;

/** A keras model's per-sample input layout, checked against MNIST's; the model is left to the caller. */
function kerasLayout(model: Model, what: string): number[] {
  singleInOut(what, model.inputNames.length, model.outputNames.length);
  // Keras leaves the batch axis unknown (null); it is shown as 'batch', as ONNX names it.
  const named = (shape: readonly Dim[] | null) => shape && shape.map((d, i) => (i === 0 && d === null ? 'batch' : d));
  return mnistLayout(
    what,
    named(model.inputShape as readonly Dim[] | null),
    named(model.outputShape as readonly Dim[]),
    KERAS_LAYOUTS,
  );
}

/** Loads an ONNX file and checks it takes MNIST images; frees the graph if it does not. */
export async function openOnnx(bytes: Uint8Array, name: string): Promise<CurrentModel & { kind: 'onnx' }> {
  const model = loadOnnx(bytes, { name });
  try {
    singleInOut(name, model.inputs.length, model.outputs.length);
    const [input] = model.inputs;
    const [output] = model.outputs;
    const sample = mnistLayout(name, input.shape, output.shape, ONNX_LAYOUTS);
    if (input.dtype !== 'float32')
      throw new DTypeError(`${name}: its input '${input.name}' is ${input.type}; the playground sends float pixels`);
    const first = input.shape![0];
    const current = {
      kind: 'onnx' as const,
      model,
      name,
      sample,
      batch: typeof first === 'number' ? first : null,
      input: input.name,
      output: output.name,
      softmax: false,
      bytes,
    };
    // One blank image shows whether the graph ends in a softmax: if not, the page shows the softmax of its outputs.
    current.softmax = !isProbabilities(await runOnnx(current, new Float32Array(784), 1), 1);
    return current;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** Whether every row is a probability distribution (non-negative, summing to 1). */
function isProbabilities(p: Float32Array, rows: number): boolean {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let k = 0; k < 10; k++) {
      const v = p[r * 10 + k];
      if (!(v >= 0)) return false;
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return true;
}

/** Runs the graph over `count` images in chunks its batch axis takes (a fixed batch is padded with blank images). */
async function runOnnx(c: CurrentModel & { kind: 'onnx' }, pixels: Float32Array, count: number): Promise<Float32Array> {
  const out = new Float32Array(count * 10);
  const size = c.batch ?? CHUNK;
  for (let start = 0; start < count; start += size) {
    const n = Math.min(size, count - start);
    const rows = c.batch ?? n;
    const chunk = new Float32Array(rows * 784);
    chunk.set(pixels.subarray(start * 784, (start + n) * 784));
    const x = tensor(chunk, [rows, ...c.sample], 'float32');
    let results: ReturnType<OnnxModel['run']> | null = null;
    try {
      results = c.model.run({ [c.input]: x });
      const y = results[c.output];
      const p = c.softmax ? y.softmax(-1) : y;
      try {
        out.set(((await p.data()) as Float32Array).subarray(0, n * 10), start * 10);
      } finally {
        if (p !== y) p.dispose();
      }
    } finally {
      x.dispose();
      if (results) dispose(Object.values(results));
    }
  }
  return out;
}

/** The model chosen as files, checked to classify MNIST digits; nothing is left allocated if it does not. */
export async function openModel(files: ModelFiles): Promise<CurrentModel> {
  if (files.format === 'onnx') return openOnnx(files.bytes, files.name);
  const what = files.format === 'tfjs' ? files.name : 'the saved model';
  // tsdl's config names its input shape before anything is made; TF.js' is read from the model.
  const known = files.format === 'tsdl' ? inputShapeOf(files.model.config) : null;
  const model =
    files.format === 'tsdl'
      ? modelFromArtifacts({ config: files.model.config, weights: files.model.weights }, what)
      : await loadTfjsModel(files.artifacts);
  try {
    const sample = known ?? kerasLayout(model, what);
    return { kind: 'keras', model, source: files.format, name: files.format === 'tfjs' ? files.name : '', sample };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** Ten probabilities per image for `count` images of 784 pixels in [0, 1]. */
export async function classify(c: CurrentModel, pixels: Float32Array, count: number): Promise<Float32Array> {
  if (c.kind === 'onnx') return runOnnx(c, pixels, count);
  const x = tensor(pixels.subarray(0, count * 784), [count, ...c.sample], 'float32');
  try {
    const y = c.model.predict(x, { batchSize: CHUNK });
    try {
      return (await y.data()) as Float32Array;
    } finally {
      y.dispose();
    }
  } finally {
    x.dispose();
  }
}

/** What the page is told about a loaded model. */
export function describeLoaded(c: CurrentModel): LoadedModelInfo {
  if (c.kind === 'onnx') {
    const input = c.model.inputs[0];
    return {
      source: 'onnx',
      name: c.name,
      model: 'onnx',
      parameters: null,
      input: `'${input.name}' ${showShape(input.shape)}`,
      trainable: false,
      detail: `opset ${c.model.opset}${c.model.producer.trim() ? `, ${c.model.producer.trim()}` : ''}`,
      softmaxed: c.softmax,
    };
  }
  return {
    source: c.source === 'built' ? 'tsdl' : c.source,
    name: c.name,
    model: recognise(c.model),
    parameters: countParameters(c.model),
    input: showShape(['batch', ...c.sample]),
    trainable: true,
  };
}

export function disposeModel(c: CurrentModel | null): void {
  if (!c) return;
  if (c.kind === 'keras') c.model.optimizer?.dispose();
  c.model.dispose();
}
