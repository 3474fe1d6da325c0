import * as T from '@tsdl/tensor';
import { DataFormatError, type Tensor } from '@tsdl/tensor';
import { erfScalar, roundHalfEven } from '@tsdl/tensor/backend';
import { ONNX, isFloatType } from '../data-types';
import type { GraphNode } from '../graph/node';
import * as H from '../host/ndarray';
import type { RunContext } from '../runtime/context';
import { HOST_LIMIT, type Value, device, host } from '../runtime/value';
import type { HostArray } from '../tensor-proto';
import { type HostInputs, type OpSpec, req, reqHost } from './spec';

/**
 * ONNX's elementwise operators: binary arithmetic and comparisons with NumPy
 * broadcasting, unary functions and activations. Each is one tsdl op on the
 * device; the arithmetic ones also run on the host for shape values.
 */

type Operand = Tensor | number;

/**
 * A device operand. A one-element host value that does not raise the result's rank
 * enters as a JS number (a run-time scalar, nothing uploaded); others are uploaded.
 */
function operand(v: Value, other: Value, node: GraphNode, what: string, ctx: RunContext): Operand {
  if (
    v.kind === 'host' &&
    v.data.length === 1 &&
    v.shape.length <= (other.kind === 'host' ? other.shape : other.tensor.shape).length
  )
    return v.data[0];
  return ctx.tensor(v, node, what);
}

interface BinaryDef {
  device: (a: Operand, b: Operand, type: number) => Tensor;
  host: (x: number, y: number, type: number) => number;
  /** Comparisons give bool; arithmetic keeps the inputs' type. */
  bool?: boolean;
}

const intDiv = (x: number, y: number): number => (y === 0 ? 0 : Math.trunc(x / y));

const BINARY: Record<string, BinaryDef> = {
  Add: { device: (a, b) => T.add(a, b), host: (x, y) => x + y },
  Sub: { device: (a, b) => T.sub(a, b), host: (x, y) => x - y },
  Mul: { device: (a, b) => T.mul(a, b), host: (x, y) => x * y },
  // Integer Div truncates, as ONNX Runtime and PyTorch's exported shape arithmetic expect.
  Div: {
    device: (a, b, type) => (isFloatType(type) ? T.div(a, b) : T.cast(T.div(a, b), 'int32')),
    host: (x, y, type) => (isFloatType(type) ? x / y : intDiv(x, y)),
  },
  Pow: { device: (a, b) => T.pow(a, b), host: (x, y) => x ** y },
  Equal: { device: (a, b) => T.eq(a, b), host: (x, y) => +(x === y), bool: true },
  Less: { device: (a, b) => T.lt(a, b), host: (x, y) => +(x < y), bool: true },
  LessOrEqual: { device: (a, b) => T.le(a, b), host: (x, y) => +(x <= y), bool: true },
  Greater: { device: (a, b) => T.gt(a, b), host: (x, y) => +(x > y), bool: true },
  GreaterOrEqual: { device: (a, b) => T.ge(a, b), host: (x, y) => +(x >= y), bool: true },
  And: { device: (a, b) => T.logicalAnd(a, b), host: (x, y) => +(x !== 0 && y !== 0), bool: true },
  Or: { device: (a, b) => T.logicalOr(a, b), host: (x, y) => +(x !== 0 || y !== 0), bool: true },
  Xor: { device: (a, b) => T.ne(T.ne(a, 0), T.ne(b, 0)), host: (x, y) => +((x !== 0) !== (y !== 0)), bool: true },
};

function binarySpec(name: string, def: BinaryDef): OpSpec {
  const outType = (a: Value): number => (def.bool ? ONNX.BOOL : a.type);
  return {
    attrs: {},
    inputs: [2, 2],
    host: (_node, inputs: HostInputs) => {
      const a = reqHost(inputs, 0);
      const b = reqHost(inputs, 1);
      if (H.sizeOfShape(H.broadcastShape(name, a.shape, b.shape)) > HOST_LIMIT) return null;
      return [host(H.mapBinary(name, a, b, outType(a), (x, y) => def.host(x, y, a.type)))];
    },
    run: (node, inputs, ctx) => {
      const a = req(inputs, 0);
      const b = req(inputs, 1);
      let x = operand(a, b, node, 'input A', ctx);
      const y = operand(b, a, node, 'input B', ctx);
      // tsdl ops take a JS number on either side, but not on both.
      if (typeof x === 'number' && typeof y === 'number') x = ctx.tensor(a, node, 'input A');
      return [
        device(
          T.tidy(() => def.device(x, y, a.type)),
          outType(a),
        ),
      ];
    },
  };
}

interface UnaryDef {
  device: (x: Tensor, node: GraphNode) => Tensor;
  host?: (x: number, node: GraphNode) => number;
  attrs?: OpSpec['attrs'];
  bool?: boolean;
}

const UNARY: Record<string, UnaryDef> = {
  Relu: { device: (x) => T.relu(x), host: (x) => Math.max(x, 0) },
  Sigmoid: { device: (x) => T.sigmoid(x), host: (x) => 1 / (1 + Math.exp(-x)) },
  Tanh: { device: (x) => T.tanh(x), host: Math.tanh },
  Exp: { device: (x) => T.exp(x), host: Math.exp },
  Log: { device: (x) => T.log(x), host: Math.log },
  Sqrt: { device: (x) => T.sqrt(x), host: Math.sqrt },
  Neg: { device: (x) => T.neg(x), host: (x) => -x },
  Abs: { device: (x) => T.abs(x), host: Math.abs },
  Reciprocal: { device: (x) => T.reciprocal(x), host: (x) => 1 / x },
  Floor: { device: (x) => T.floor(x), host: Math.floor },
  Ceil: { device: (x) => T.ceil(x), host: Math.ceil },
  Round: { device: (x) => T.round(x), host: (x) => roundHalfEven(x) },
  Sign: { device: (x) => T.sign(x), host: Math.sign },
  Erf: { device: (x) => T.erf(x), host: erfScalar },
  Sin: { device: (x) => T.sin(x), host: Math.sin },
  Cos: { device: (x) => T.cos(x), host: Math.cos },
  Softplus: { device: (x) => T.softplus(x), host: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))) },
  Softsign: { device: (x) => T.div(x, T.add(T.abs(x), 1)), host: (x) => x / (1 + Math.abs(x)) },
  Not: { device: (x) => T.logicalNot(x), host: (x) => +(x === 0), bool: true },
  LeakyRelu: { device: (x, n) => T.leakyRelu(x, n.float('alpha', 0.01)), attrs: { alpha: 'float' } },
  Elu: { device: (x, n) => T.elu(x, n.float('alpha', 1)), attrs: { alpha: 'float' } },
  Selu: {
    device: (x, n) =>
      T.mul(T.elu(x, n.float('alpha', 1.67326319217681884765625)), n.float('gamma', 1.05070102214813232421875)),
    attrs: { alpha: 'float', gamma: 'float' },
  },
  HardSigmoid: {
    device: (x, n) => T.clip(T.add(T.mul(x, n.float('alpha', 0.2)), n.float('beta', 0.5)), 0, 1),
    attrs: { alpha: 'float', beta: 'float' },
  },
  HardSwish: { device: (x) => T.mul(x, T.clip(T.add(T.div(x, 6), 0.5), 0, 1)) },
  Gelu: {
    device: (x, n) => {
      const approx = n.string('approximate', 'none');
      if (approx !== 'none' && approx !== 'tanh')
        throw new DataFormatError(`${n.where}: attribute 'approximate' is '${approx}'; expected 'none' or 'tanh'`);
      return T.gelu(x, approx);
    },
    attrs: { approximate: 'string' },
  },
};

function unarySpec(name: string, def: UnaryDef): OpSpec {
  const hostFn = def.host;
  return {
    attrs: def.attrs ?? {},
    inputs: [1, 1],
    host: hostFn
      ? (node, inputs) => {
          const a = reqHost(inputs, 0);
          return [host(H.mapUnary(a, def.bool ? ONNX.BOOL : a.type, (x) => hostFn(x, node)))];
        }
      : undefined,
    run: (node, inputs, ctx) => {
      const a = req(inputs, 0);
      return [
        device(
          T.tidy(() => def.device(ctx.tensor(a, node, 'input X'), node)),
          def.bool ? ONNX.BOOL : a.type,
        ),
      ];
    },
  };
}

/** Sum, Mean, Max, Min: one or more inputs, broadcast together. */
function variadicSpec(
  name: string,
  fold: (a: Tensor, b: Tensor) => Tensor,
  hostFold: (x: number, y: number) => number,
  mean = false,
): OpSpec {
  return {
    attrs: {},
    inputs: [1, 2147483647],
    host: (_node, inputs) => {
      let acc: HostArray = reqHost(inputs, 0);
      for (const v of inputs.slice(1)) acc = H.mapBinary(name, acc, v as HostArray, acc.type, hostFold);
      if (mean) acc = H.mapUnary(acc, acc.type, (x) => x / inputs.length);
      return [host(acc)];
    },
    run: (node, inputs, ctx) => {
      const first = req(inputs, 0);
      const out = T.tidy(() => {
        let acc = ctx.tensor(first, node, 'input 0');
        inputs.slice(1).forEach((v, i) => (acc = fold(acc, ctx.tensor(v as Value, node, `input ${i + 1}`))));
        return mean ? T.div(acc, inputs.length) : acc;
      });
      return [device(out, first.type)];
    },
  };
}

/** Clip: bounds as inputs (opset 11+) or attributes (before). */
const clip: OpSpec = {
  attrs: { min: 'float', max: 'float' },
  inputs: [1, 3],
  run: (node, inputs, ctx) => {
    const a = req(inputs, 0);
    const lo = inputs[1] ? ctx.scalar(inputs[1], node, 'input min') : node.float('min', -Infinity);
    const hi = inputs[2] ? ctx.scalar(inputs[2], node, 'input max') : node.float('max', Infinity);
    const x = ctx.tensor(a, node, 'input');
    // tsdl's clip wants min <= max; ONNX gives max where they cross, as minimum(maximum(x, lo), hi).
    const out = lo <= hi ? T.clip(x, lo, hi) : T.tidy(() => T.minimum(T.maximum(x, lo), hi));
    return [device(out, a.type)];
  },
};

export const ELEMENTWISE_OPS: Record<string, OpSpec> = {
  ...Object.fromEntries(Object.entries(BINARY).map(([k, d]) => [k, binarySpec(k, d)])),
  ...Object.fromEntries(Object.entries(UNARY).map(([k, d]) => [k, unarySpec(k, d)])),
  Sum: variadicSpec('Sum', T.add, (x, y) => x + y),
  Mean: variadicSpec('Mean', T.add, (x, y) => x + y, true),
  Max: variadicSpec('Max', T.maximum, Math.max),
  Min: variadicSpec('Min', T.minimum, Math.min),
  Clip: clip,
};
