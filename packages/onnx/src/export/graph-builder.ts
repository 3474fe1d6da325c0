import { ONNX } from '../data-types';
import { encodeModelProto } from '../proto/codec';
import type { AttributeProto, NodeProto, TensorProto, ValueInfoProto } from '../proto/types';

/** An attribute value with its ONNX kind stated (ONNX tells 1 from 1.0). */
export type AttrInput =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: number[] }
  | { floats: number[] }
  | { strings: string[] };

/** A dim of a graph input or output: a size, or a symbolic name ('batch'). */
export type Dim = number | string;

const utf8 = new TextEncoder();

function attribute(name: string, v: AttrInput): AttributeProto {
  // AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7, STRINGS 8.
  if ('i' in v) return { name, type: 2, i: v.i };
  if ('f' in v) return { name, type: 1, f: v.f };
  if ('s' in v) return { name, type: 3, s: utf8.encode(v.s) };
  if ('ints' in v) return { name, type: 7, ints: v.ints };
  if ('strings' in v) return { name, type: 8, strings: v.strings.map((x) => utf8.encode(x)) };
  return { name, type: 6, floats: v.floats };
}

/** Little-endian raw_data of float32 or int64 values, as ONNX stores them. */
function rawData(type: number, values: ArrayLike<number>): Uint8Array {
  const bytes = type === ONNX.INT64 ? 8 : 4;
  const view = new DataView(new ArrayBuffer(values.length * bytes));
  for (let i = 0; i < values.length; i++) {
    if (type === ONNX.FLOAT) view.setFloat32(i * 4, values[i], true);
    else if (type === ONNX.INT32) view.setInt32(i * 4, values[i], true);
    else view.setBigInt64(i * 8, BigInt(values[i]), true);
  }
  return new Uint8Array(view.buffer);
}

function valueInfo(name: string, type: number, dims: readonly Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: type,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Builds an ONNX graph node by node: unique value names, initializers as
 * little-endian raw_data, and the ModelProto around it. `transposePairs` folds
 * Transpose nodes that undo each other (an NHWC → NCHW → NHWC round trip
 * between two convolutions) before the model is written.
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly used = new Set<string>();

  /** A value name not used yet, from `base`. */
  name(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'value';
    let n = clean;
    for (let k = 1; this.used.has(n); k++) n = `${clean}_${k}`;
    this.used.add(n);
    return n;
  }

  input(name: string, type: number, dims: readonly Dim[]): string {
    const n = this.name(name);
    this.inputs.push(valueInfo(n, type, dims));
    return n;
  }

  output(value: string, name: string, type: number, dims: readonly Dim[]): void {
    const n = this.name(name);
    this.nodes.push({ opType: 'Identity', name: n, input: [value], output: [n], attribute: [] });
    this.outputs.push(valueInfo(n, type, dims));
  }

  /** A float32 (or int64/int32) initializer; returns its name. */
  constant(base: string, values: ArrayLike<number>, dims: readonly number[], type: number = ONNX.FLOAT): string {
    const n = this.name(base);
    this.initializers.push({ name: n, dataType: type, dims: [...dims], rawData: rawData(type, values) });
    return n;
  }

  int64s(base: string, values: readonly number[]): string {
    return this.constant(base, values, [values.length], ONNX.INT64);
  }

  /** Adds a node with one output; returns the output's name. */
  node(
    opType: string,
    inputs: readonly string[],
    output: string,
    attrs: Record<string, AttrInput> = {},
    name?: string,
  ): string {
    return this.nodeN(opType, inputs, [output], attrs, name)[0];
  }

  /** Adds a node with several outputs (names from `outputs` as bases; '' skips an output). */
  nodeN(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Record<string, AttrInput> = {},
    name?: string,
  ): string[] {
    const outs = outputs.map((o) => (o === '' ? '' : this.name(o)));
    this.nodes.push({
      opType,
      name: name ?? outs.find((o) => o !== '') ?? opType,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** Drops Transpose pairs whose perms compose to the identity, where the first feeds only the second. */
  private foldTransposes(): NodeProto[] {
    const nodes = [...this.nodes];
    const readers = (name: string) =>
      nodes.filter((n) => n.input?.includes(name)).length + (this.outputs.some((o) => o.name === name) ? 1 : 0);
    const permOf = (n: NodeProto) => (n.attribute?.find((a) => a.name === 'perm')?.ints ?? []) as number[];
    for (let changed = true; changed; ) {
      changed = false;
      for (const second of nodes) {
        if (second.opType !== 'Transpose') continue;
        const first = nodes.find((n) => n.opType === 'Transpose' && n.output?.[0] === second.input?.[0]);
        if (!first || readers(first.output![0]) !== 1) continue;
        const p1 = permOf(first);
        const p2 = permOf(second);
        if (p1.length === 0 || p1.length !== p2.length || !p2.every((p, i) => p1[p] === i)) continue;
        // The second's output becomes an alias of the first's input.
        const source = first.input![0];
        const alias = second.output![0];
        nodes.splice(nodes.indexOf(first), 1);
        nodes[nodes.indexOf(second)] = {
          opType: 'Identity',
          name: second.name,
          input: [source],
          output: [alias],
          attribute: [],
        };
        changed = true;
        break;
      }
    }
    return nodes;
  }

  /** Encodes the ModelProto. */
  encode(options: { opset: number; producer: string; graphName: string; docString?: string }): Uint8Array {
    return encodeModelProto({
      // IR version 7 goes with opsets 13 and 14, 8 with 15 to 17 (ONNX's versioning table).
      irVersion: options.opset >= 15 ? 8 : 7,
      opsetImport: [{ domain: '', version: options.opset }],
      producerName: options.producer,
      producerVersion: '0.1.0',
      docString: options.docString ?? '',
      graph: {
        name: options.graphName,
        node: this.foldTransposes(),
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }
}
