import { DataFormatError } from '@tsdl/tensor';
import { dataType, dataTypeName } from '../data-types';
import { OnnxUnsupportedError, type UnsupportedUse } from '../errors';
import { int64 } from '../int64';
import { constantValue } from '../ops/constants';
import { OPERATORS } from '../ops/registry';
import { decodeModelProto } from '../proto/codec';
import type { ModelProto, NodeProto, ValueInfoProto } from '../proto/types';
import { type HostArray, decodeTensorProto } from '../tensor-proto';
import { decodeAttributes } from './attributes';
import { GraphNode } from './node';

/** A graph input or output as the file declares it. */
export interface TensorInfo {
  name: string;
  /** ONNX data type code. */
  type: number;
  /** Dims: a number, a symbolic name (dim_param, e.g. 'batch'), or null where unknown; null for an unknown rank. */
  shape: (number | string | null)[] | null;
}

/** A checked graph, ready to run. */
export interface LoadedGraph {
  source: string;
  opset: number;
  irVersion: number;
  producer: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Initializers and Constant nodes' values. */
  constants: Map<string, HostArray>;
  /** Nodes to run (Constant nodes are folded into `constants`), in a valid order. */
  nodes: GraphNode[];
  /** For each value name, the index of the last node that reads it. */
  lastUse: Map<string, number>;
}

/** The default-domain opsets tsdl reads (older ones changed many operators' inputs). */
export const OPSET_RANGE = [7, 18] as const;

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

/**
 * Decodes and checks an ONNX model before anything is allocated on a device:
 * the protobuf, the opset, every initializer's type, dims and byte length,
 * every node's inputs (each produced before it is read, each name produced
 * once), attributes and arity. Operators and features tsdl does not run are
 * collected over the whole graph and thrown together (OnnxUnsupportedError).
 */
export function loadGraph(bytes: Uint8Array, source: string): LoadedGraph {
  const model = decodeModelProto(bytes, source);
  const at = `loadOnnx: ${source}`;
  const irVersion = int64(model.irVersion);
  if (!Number.isSafeInteger(irVersion) || irVersion < 3) {
    throw new DataFormatError(
      `${at}: ir_version is ${irVersion || 'missing'}; an ONNX model has 3 or more (the bytes may not be an ONNX model)`,
    );
  }
  const problems = new Map<string, string[]>();
  const unsupported = (what: string, where: string) => {
    const list = problems.get(what) ?? [];
    list.push(where);
    problems.set(what, list);
  };
  const opset = defaultOpset(model, at);
  if (opset < OPSET_RANGE[0] || opset > OPSET_RANGE[1])
    unsupported(
      `opset ${opset} of the default domain (tsdl reads ${OPSET_RANGE[0]} to ${OPSET_RANGE[1]})`,
      'opset_import',
    );
  const graph = model.graph;
  if (!graph) throw new DataFormatError(`${at}: has no graph`);
  if ((graph.sparseInitializer?.length ?? 0) > 0) unsupported('sparse initializers', 'graph.sparse_initializer');

  const constants = new Map<string, HostArray>();
  for (const [i, t] of (graph.initializer ?? []).entries()) {
    const name = t.name ?? '';
    if (!name) throw new DataFormatError(`${at}: initializer ${i} has no name`);
    if (constants.has(name)) throw new DataFormatError(`${at}: initializer '${name}' is given twice`);
    constants.set(name, decodeTensorProto(t, `${at}: initializer '${name}'`));
  }

  const inputs = (graph.input ?? [])
    .filter((v) => !constants.has(v.name ?? ''))
    .map((v, i) => tensorInfo(v, `${at}: graph input ${i}`));
  const outputs = (graph.output ?? []).map((v, i) => tensorInfo(v, `${at}: graph output ${i}`));
  const defined = new Set<string>([...constants.keys()]);
  for (const v of inputs) {
    if (defined.has(v.name)) throw new DataFormatError(`${at}: graph input '${v.name}' is declared twice`);
    defined.add(v.name);
  }

  const nodes: GraphNode[] = [];
  for (const [index, proto] of (graph.node ?? []).entries()) {
    const node = checkNode(proto, index, source, at, opset, unsupported);
    for (const name of node.inputs) {
      if (name !== '' && !defined.has(name)) {
        throw new DataFormatError(
          `${node.where}: input '${name}' is not a graph input, an initializer or an output of an earlier node`,
        );
      }
    }
    for (const name of node.outputs) {
      if (name === '') continue;
      if (defined.has(name))
        throw new DataFormatError(`${node.where}: output '${name}' is already defined (every value has one producer)`);
      defined.add(name);
    }
    nodes.push(node);
  }
  for (const o of outputs)
    if (!defined.has(o.name)) throw new DataFormatError(`${at}: graph output '${o.name}' is produced by no node`);

  if (problems.size > 0) {
    const list: UnsupportedUse[] = [...problems].map(([what, where]) => ({ what, nodes: where }));
    throw new OnnxUnsupportedError(source, list);
  }

  // Constant nodes become constants now, once, instead of on every run.
  const run: GraphNode[] = [];
  for (const node of nodes) {
    if (node.opType === 'Constant') constants.set(node.outputs[0], constantValue(node));
    else run.push(node);
  }
  const lastUse = new Map<string, number>();
  run.forEach((node, i) => {
    for (const name of node.inputs) if (name !== '') lastUse.set(name, i);
  });
  const producer = [model.producerName, model.producerVersion].filter(Boolean).join(' ');
  return { source, opset, irVersion, producer, inputs, outputs, constants, nodes: run, lastUse };
}

function defaultOpset(model: ModelProto, at: string): number {
  const entry = (model.opsetImport ?? []).find((o) => DEFAULT_DOMAINS.has(o.domain ?? ''));
  if (!entry) throw new DataFormatError(`${at}: opset_import has no entry for the default ONNX domain`);
  const v = int64(entry.version);
  if (!Number.isSafeInteger(v) || v < 1)
    throw new DataFormatError(`${at}: opset_import gives version ${v} for the default domain`);
  return v;
}

function tensorInfo(v: ValueInfoProto, where: string): TensorInfo {
  const name = v.name ?? '';
  if (!name) throw new DataFormatError(`${where}: has no name`);
  const tt = v.type?.tensorType;
  if (!tt)
    throw new DataFormatError(
      `${where} ('${name}'): is not a tensor (sequences, maps and optionals are not supported)`,
    );
  const type = tt.elemType ?? 0;
  if (!dataType(type))
    throw new DataFormatError(
      `${where} ('${name}'): elem_type ${type} (${dataTypeName(type)}) is not a numeric type tsdl can hold`,
    );
  const shape = tt.shape
    ? (tt.shape.dim ?? []).map((d, i) => {
        if (d.dimParam) return d.dimParam;
        if (d.dimValue === null || d.dimValue === undefined) return null;
        const n = int64(d.dimValue);
        if (!Number.isSafeInteger(n) || n < 0)
          throw new DataFormatError(`${where} ('${name}'): dim ${i} is ${n}, not a size`);
        return n;
      })
    : null;
  return { name, type, shape };
}

function checkNode(
  proto: NodeProto,
  index: number,
  source: string,
  at: string,
  opset: number,
  unsupported: (what: string, where: string) => void,
): GraphNode {
  const opType = proto.opType ?? '';
  const domain = proto.domain ?? '';
  const label = proto.name || proto.output?.[0] || `#${index}`;
  if (!opType) throw new DataFormatError(`${at}: node ${index} ('${label}') has no op_type`);
  const where = `${at}: ${opType} node '${label}'`;
  const attrs = decodeAttributes(proto.attribute ?? [], where);
  const node = new GraphNode(
    index,
    opType,
    proto.name ?? '',
    [...(proto.input ?? [])],
    [...(proto.output ?? [])],
    attrs,
    source,
  );
  const spec = DEFAULT_DOMAINS.has(domain) ? OPERATORS.get(opType) : undefined;
  if (!spec) {
    unsupported(DEFAULT_DOMAINS.has(domain) ? opType : `${domain}.${opType}`, label);
    return node;
  }
  for (const [name, value] of attrs) {
    const kind = spec.attrs[name];
    if (kind === undefined) unsupported(`${opType} with attribute '${name}'`, label);
    else if (kind !== value.kind && kind !== 'other')
      throw new DataFormatError(`${where}: attribute '${name}' must be ${kind}, got ${value.kind}`);
  }
  const [minIn, maxIn] = spec.inputs;
  if (node.inputs.length < minIn || node.inputs.length > maxIn) {
    throw new DataFormatError(
      `${where}: has ${node.inputs.length} inputs; ${opType} takes ${minIn === maxIn ? minIn : `${minIn} to ${maxIn}`}`,
    );
  }
  for (let i = 0; i < minIn; i++)
    if (node.inputs[i] === '') throw new DataFormatError(`${where}: required input ${i} is empty`);
  const [minOut, maxOut] = spec.outputs ?? [1, 1];
  if (node.outputs.length < Math.max(minOut, 1) || node.outputs.length > maxOut) {
    throw new DataFormatError(
      `${where}: has ${node.outputs.length} outputs; ${opType} gives ${minOut === maxOut ? minOut : `${Math.max(minOut, 1)} to ${maxOut}`}`,
    );
  }
  if (spec.check) for (const p of spec.check(node, opset)) unsupported(p, label);
  return node;
}
