import {
  ArgumentError,
  type Backend,
  DataFormatError,
  type DType,
  DisposedError,
  type Tensor,
  getBackend,
  tensor,
} from '@tsdl/tensor';
import { dataType, dataTypeName } from './data-types';
import { type LoadedGraph, type TensorInfo, loadGraph } from './graph/load-graph';
import { RunContext } from './runtime/context';
import { bindInputs } from './runtime/inputs';
import { runGraph } from './runtime/run-graph';
import { HOST_LIMIT, type Value, device, host } from './runtime/value';
import type { HostArray } from './tensor-proto';

export interface LoadOnnxOptions {
  /** A name for the model in error messages (a file name); default 'model.onnx'. */
  name?: string;
  /** The backend the weights live on and the graph runs on; default the active backend. */
  backend?: Backend;
}

/** A graph input or output: its name, ONNX type, the tsdl dtype that holds it, and its declared dims. */
export interface OnnxTensorInfo {
  name: string;
  /** ONNX's type name: 'float', 'int64', 'bool' … */
  type: string;
  /** The tsdl dtype: float types are float32, integer types int32. */
  dtype: DType;
  /** Fixed dims as numbers, symbolic ones by name ('batch'), unknown ones null; null for an unknown rank. */
  shape: (number | string | null)[] | null;
}

const KNOWN_OPTIONS = ['name', 'backend'];

/**
 * An ONNX model loaded into tsdl: its weights are tensors on one backend and
 * `run` evaluates the graph with tsdl ops there. Made by `loadOnnx`.
 */
export class OnnxModel {
  readonly inputs: readonly OnnxTensorInfo[];
  readonly outputs: readonly OnnxTensorInfo[];
  /** The default-domain opset the file was exported with. */
  readonly opset: number;
  /** producer_name and producer_version ('pytorch 1.13.0'). */
  readonly producer: string;
  readonly backend: Backend;
  private readonly graph: LoadedGraph;
  private readonly constants: Map<string, Value>;
  private disposed = false;

  /** @internal Use loadOnnx. */
  constructor(graph: LoadedGraph, constants: Map<string, Value>, backend: Backend) {
    this.graph = graph;
    this.constants = constants;
    this.backend = backend;
    this.inputs = graph.inputs.map(describe);
    this.outputs = graph.outputs.map(describe);
    this.opset = graph.opset;
    this.producer = graph.producer;
  }

  get inputNames(): string[] {
    return this.inputs.map((i) => i.name);
  }

  get outputNames(): string[] {
    return this.outputs.map((o) => o.name);
  }

  /**
   * Runs the graph: inputs by name or in `inputNames` order; returns every graph
   * output by name, as tensors the caller owns (dispose them). int64 inputs and
   * outputs are int32 tensors.
   */
  run(inputs: Record<string, Tensor> | readonly Tensor[]): Record<string, Tensor> {
    if (this.disposed) throw new DisposedError(`run: the ONNX model ${this.graph.source} was disposed`);
    const bound = bindInputs(this.graph.inputs, inputs, this.backend, this.graph.source);
    return runGraph(this.graph, this.constants, bound, new RunContext(this.backend, this.graph.opset));
  }

  /** Releases the weights. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.constants.values()) if (v.kind === 'device') v.tensor.dispose();
    this.constants.clear();
  }
}

function describe(t: TensorInfo): OnnxTensorInfo {
  return {
    name: t.name,
    type: dataTypeName(t.type),
    dtype: dataType(t.type)!.dtype,
    shape: t.shape ? [...t.shape] : null,
  };
}

/**
 * Loads an ONNX model from its bytes (the contents of a .onnx file). The file
 * is treated as untrusted: the protobuf, every initializer's type, dims and
 * byte length, the graph's structure and every node's attributes are checked
 * before any tensor is made (a DataFormatError names the file and the field);
 * operators tsdl does not run are reported together (OnnxUnsupportedError);
 * weights stored outside the file are refused. Nothing in the file executes.
 */
export function loadOnnx(bytes: Uint8Array | ArrayBuffer, options: LoadOnnxOptions = {}): OnnxModel {
  if (options === null || typeof options !== 'object')
    throw new ArgumentError(`loadOnnx: options must be an object, got ${String(options)}`);
  const unknown = Object.keys(options).filter((k) => !KNOWN_OPTIONS.includes(k));
  if (unknown.length > 0)
    throw new ArgumentError(
      `loadOnnx: unknown option ${unknown.map((u) => `'${u}'`).join(', ')}; known: ${KNOWN_OPTIONS.join(', ')}`,
    );
  const source = options.name ?? 'model.onnx';
  const data = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(data instanceof Uint8Array))
    throw new ArgumentError(
      `loadOnnx: bytes must be a Uint8Array or an ArrayBuffer (a file's contents), got ${describeValue(bytes)}`,
    );
  const backend = options.backend ?? getBackend();
  const graph = loadGraph(data, source);
  const constants = new Map<string, Value>();
  try {
    for (const [name, a] of graph.constants) constants.set(name, place(a, name, source, backend));
  } catch (e) {
    for (const v of constants.values()) if (v.kind === 'device') v.tensor.dispose();
    throw e;
  }
  graph.constants.clear();
  return new OnnxModel(graph, constants, backend);
}

/**
 * Where a constant lives: floats (weights) on the device; small integer and
 * bool tensors (shapes, axes, indices) on the host, where shape arithmetic
 * reads them; large ones on the device, checked to fit int32.
 */
function place(a: HostArray, name: string, source: string, backend: Backend): Value {
  const info = dataType(a.type)!;
  if (info.dtype !== 'float32' && a.data.length <= HOST_LIMIT) return host(a);
  if (info.dtype === 'float32') {
    const f = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data);
    return device(tensor(f, a.shape, 'float32', { backend }), a.type);
  }
  const ints = new Int32Array(a.data.length);
  for (let i = 0; i < a.data.length; i++) {
    const v = a.data[i];
    if (v > 2147483647 || v < -2147483648) {
      throw new DataFormatError(
        `loadOnnx: ${source}: '${name}' holds ${v} at index ${i}, outside int32, the widest integer tsdl tensors hold`,
      );
    }
    ints[i] = v;
  }
  return device(tensor(ints, a.shape, info.dtype === 'bool' ? 'bool' : 'int32', { backend }), a.type);
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
}
