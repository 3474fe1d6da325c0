import * as T from '@tsdl/tensor';
import { ArgumentError, DataFormatError } from '@tsdl/tensor';
import { ONNX, dataType, dataTypeName, isFloatType } from '../data-types';
import type { GraphNode } from '../graph/node';
import * as H from '../host/ndarray';
import { HOST_LIMIT, type Value, device, host } from '../runtime/value';
import type { HostArray } from '../tensor-proto';
import { type OpSpec, req } from './spec';

/** Constants, casts and value generators. */

/** A Constant node's value (the loader turns Constant nodes into constants once, at load). */
export function constantValue(node: GraphNode): HostArray {
  const set = [...node.attrs.keys()];
  if (set.length !== 1)
    throw new DataFormatError(
      `${node.where}: needs exactly one value attribute, got ${set.length ? set.join(', ') : 'none'}`,
    );
  const t = node.tensor('value');
  if (t) return t;
  if (node.has('value_float')) return H.hostArray(ONNX.FLOAT, [], [node.float('value_float')]);
  if (node.has('value_floats')) {
    const v = node.floats('value_floats');
    return H.hostArray(ONNX.FLOAT, [v.length], v);
  }
  if (node.has('value_int')) return H.hostArray(ONNX.INT64, [], [node.int('value_int')]);
  if (node.has('value_ints')) {
    const v = node.ints('value_ints');
    return H.hostArray(ONNX.INT64, [v.length], v);
  }
  throw new DataFormatError(`${node.where}: attribute '${set[0]}' holds a value tsdl cannot hold`);
}

const constant: OpSpec = {
  attrs: {
    value: 'tensor',
    value_float: 'float',
    value_floats: 'floats',
    value_int: 'int',
    value_ints: 'ints',
    value_string: 'string',
    value_strings: 'strings',
    sparse_value: 'other',
  },
  inputs: [0, 0],
  check: (node) => {
    for (const a of ['value_string', 'value_strings', 'sparse_value']) if (node.has(a)) return [`Constant with ${a}`];
    return [];
  },
  run: (node) => [host(constantValue(node))],
};

const constantOfShape: OpSpec = {
  attrs: { value: 'tensor' },
  inputs: [1, 1],
  run: (node, inputs, ctx) => {
    const shape = ctx.ints(req(inputs, 0), node, 'input shape');
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0))
      throw new ArgumentError(`${node.where}: shape [${shape.join(', ')}] must be sizes >= 0`);
    const v = node.tensor('value') ?? H.hostArray(ONNX.FLOAT, [1], [0]);
    if (v.data.length !== 1)
      throw new DataFormatError(`${node.where}: attribute 'value' must hold one element, got ${v.data.length}`);
    const n = H.sizeOfShape(shape);
    if (n <= HOST_LIMIT) return [host(H.hostArray(v.type, shape, new Array<number>(n).fill(v.data[0])))];
    const dtype = dataType(v.type)!.dtype;
    return [device(T.full(shape, v.data[0], dtype, { backend: ctx.backend }), v.type)];
  },
};

const range: OpSpec = {
  attrs: {},
  inputs: [3, 3],
  run: (node, inputs, ctx) => {
    const [start, limit, delta] = [0, 1, 2].map((i) =>
      ctx.scalar(req(inputs, i), node, ['input start', 'input limit', 'input delta'][i]),
    );
    if (delta === 0) throw new ArgumentError(`${node.where}: delta is 0`);
    const type = req(inputs, 0).type;
    const n = Math.max(Math.ceil((limit - start) / delta), 0);
    if (!Number.isSafeInteger(n) || n > 2 ** 31 - 1)
      throw new ArgumentError(`${node.where}: range(${start}, ${limit}, ${delta}) has too many elements`);
    if (n <= HOST_LIMIT)
      return [
        host(
          H.hostArray(
            type,
            [n],
            Array.from({ length: n }, (_, i) => start + i * delta),
          ),
        ),
      ];
    const dtype = isFloatType(type) ? 'float32' : 'int32';
    return [device(T.add(T.mul(T.arange(0, n, 1, dtype, { backend: ctx.backend }), delta), start), type)];
  },
};

function castHost(x: number, to: number): number {
  const info = dataType(to)!;
  if (info.dtype === 'bool') return x !== 0 ? 1 : 0;
  if (info.dtype === 'int32') return Number.isFinite(x) ? Math.trunc(x) : 0;
  return x;
}

function castValue(node: GraphNode, v: Value, to: number): Value {
  const info = dataType(to);
  if (!info) throw new DataFormatError(`${node.where}: cannot cast to ${dataTypeName(to)}`);
  if (v.kind === 'host') return host(H.mapUnary(v, to, (x) => castHost(x, to)));
  return device(T.cast(v.tensor, info.dtype), to);
}

const cast: OpSpec = {
  attrs: { to: 'int', saturate: 'int' },
  inputs: [1, 1],
  check: (node) => (dataType(node.int('to')) ? [] : [`Cast to ${dataTypeName(node.int('to'))}`]),
  run: (node, inputs) => [castValue(node, req(inputs, 0), node.int('to'))],
};

const castLike: OpSpec = {
  attrs: { saturate: 'int' },
  inputs: [2, 2],
  run: (node, inputs) => [castValue(node, req(inputs, 0), req(inputs, 1).type)],
};

/** Inference: the identity (its optional mask output all true). */
const dropout: OpSpec = {
  attrs: { ratio: 'float', seed: 'int', is_test: 'int' },
  inputs: [1, 3],
  outputs: [1, 2],
  run: (node, inputs, ctx) => {
    const x = req(inputs, 0);
    if (inputs[2] && ctx.scalar(inputs[2], node, 'input training_mode') !== 0) {
      throw new ArgumentError(`${node.where}: training_mode is true; tsdl runs ONNX graphs for inference only`);
    }
    const out: Value[] = [x];
    if (node.outputs.length > 1 && node.outputs[1] !== '') {
      const s = x.kind === 'host' ? x.shape : x.tensor.shape;
      out.push(device(T.full(s, true, 'bool', { backend: ctx.backend }), ONNX.BOOL));
    }
    return out;
  },
};

export const CONSTANT_OPS: Record<string, OpSpec> = {
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Range: range,
  Cast: cast,
  CastLike: castLike,
  Dropout: dropout,
};
