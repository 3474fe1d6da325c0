import * as T from '@tsdl/tensor';
import { ArgumentError, type Tensor } from '@tsdl/tensor';
import { ONNX, isFloatType } from '../data-types';
import type { GraphNode } from '../graph/node';
import * as H from '../host/ndarray';
import type { RunContext } from '../runtime/context';
import { device, host, shapeOf } from '../runtime/value';
import { normAxes, normAxis } from './axes';
import { type HostInputs, type Inputs, type OpSpec, req, reqHost } from './spec';

/** ReduceX, ArgMax/ArgMin and Pad. */

/** The axes to reduce: the input (ReduceSum from opset 13, all from 18) or attribute; none means all, or nothing with noop_with_empty_axes. */
function reduceAxes(node: GraphNode, inputs: Inputs | HostInputs, rank: number, ctx: RunContext): number[] | null {
  const given = inputs[1] ? ctx.ints(inputs[1], node, 'input axes') : node.has('axes') ? node.ints('axes') : [];
  if (given.length === 0)
    return node.intIn('noop_with_empty_axes', 0, [0, 1]) === 1 ? null : Array.from({ length: rank }, (_, i) => i);
  return normAxes(node, given, rank);
}

interface ReduceDef {
  device: (x: Tensor, axes: number[], keep: boolean) => Tensor;
  host?: { init: number; fold: (acc: number, x: number) => number; finish?: (acc: number, n: number) => number };
}

const REDUCE: Record<string, ReduceDef> = {
  ReduceSum: { device: T.sum, host: { init: 0, fold: (a, x) => a + x } },
  ReduceMean: { device: T.mean, host: { init: 0, fold: (a, x) => a + x, finish: (a, n) => a / n } },
  ReduceMax: { device: T.max, host: { init: -Infinity, fold: Math.max } },
  ReduceMin: { device: T.min, host: { init: Infinity, fold: Math.min } },
  ReduceProd: { device: T.prod, host: { init: 1, fold: (a, x) => a * x } },
  ReduceSumSquare: { device: (x, a, k) => T.sum(T.mul(x, x), a, k) },
  ReduceL1: { device: (x, a, k) => T.sum(T.abs(x), a, k) },
  ReduceL2: { device: (x, a, k) => T.sqrt(T.sum(T.mul(x, x), a, k)) },
  ReduceLogSumExp: { device: T.logSumExp },
};

function reduceSpec(def: ReduceDef): OpSpec {
  const h = def.host;
  return {
    attrs: { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' },
    inputs: [1, 2],
    host: h
      ? (node, inputs, ctx) => {
          const x = reqHost(inputs, 0);
          const axes = reduceAxes(node, inputs, x.shape.length, ctx);
          if (axes === null) return [x];
          const finish =
            h.finish && !isFloatType(x.type) ? (a: number, n: number) => Math.trunc(h.finish!(a, n)) : h.finish;
          return [host(H.reduce(x, axes, node.intIn('keepdims', 1, [0, 1]) === 1, x.type, h.init, h.fold, finish))];
        }
      : undefined,
    run: (node, inputs, ctx) => {
      const v = req(inputs, 0);
      const x = ctx.tensor(v, node, 'input data');
      const axes = reduceAxes(node, inputs, x.rank, ctx);
      if (axes === null) return [v];
      const keep = node.intIn('keepdims', 1, [0, 1]) === 1;
      // ONNX keeps the input's type (an integer mean truncates); tsdl's float results are cast back.
      const out = T.tidy(() => {
        const y = def.device(x, axes, keep);
        return y.dtype === x.dtype ? y : T.cast(y, x.dtype);
      });
      return [device(out, v.type)];
    },
  };
}

function argSpec(which: 'max' | 'min'): OpSpec {
  return {
    attrs: { axis: 'int', keepdims: 'int', select_last_index: 'int' },
    inputs: [1, 1],
    check: (node) =>
      node.int('select_last_index', 0) !== 0 ? [`Arg${which === 'max' ? 'Max' : 'Min'} with select_last_index`] : [],
    run: (node, inputs, ctx) => {
      const x = ctx.tensor(req(inputs, 0), node, 'input data');
      const axis = normAxis(node, node.int('axis', 0), x.rank);
      const keep = node.intIn('keepdims', 1, [0, 1]) === 1;
      return [device(which === 'max' ? T.argmax(x, axis, keep) : T.argmin(x, axis, keep), ONNX.INT64)];
    },
  };
}

/** Pad in constant mode; negative pads crop. */
const pad: OpSpec = {
  attrs: { mode: 'string', pads: 'ints', value: 'float' },
  inputs: [1, 4],
  check: (node) => (node.string('mode', 'constant') !== 'constant' ? [`Pad with mode '${node.string('mode')}'`] : []),
  run: (node, inputs, ctx) => {
    const v = req(inputs, 0);
    const s = shapeOf(v);
    const rank = s.length;
    const pads = inputs[1] ? ctx.ints(inputs[1], node, 'input pads') : node.ints('pads');
    const value = inputs[2] ? ctx.scalar(inputs[2], node, 'input constant_value') : node.float('value', 0);
    const axes = inputs[3]
      ? normAxes(node, ctx.ints(inputs[3], node, 'input axes'), rank)
      : Array.from({ length: rank }, (_, i) => i);
    if (pads.length !== 2 * axes.length)
      throw new ArgumentError(
        `${node.where}: pads [${pads.join(', ')}] must have ${2 * axes.length} entries (begins, then ends)`,
      );
    const pairs: [number, number][] = s.map(() => [0, 0]);
    axes.forEach((a, i) => (pairs[a] = [pads[i], pads[i + axes.length]]));
    const x = ctx.tensor(v, node, 'input data');
    const out = T.tidy(() => {
      const cropped = pairs.some(([b, e]) => b < 0 || e < 0)
        ? T.slice(
            x,
            pairs.map(([b]) => Math.max(-b, 0)),
            pairs.map(([, e], i) => s[i] - Math.max(-e, 0)),
          )
        : x;
      return T.pad(
        cropped,
        pairs.map(([b, e]) => [Math.max(b, 0), Math.max(e, 0)] as [number, number]),
        value,
      );
    });
    return [device(out, v.type)];
  },
};

export const REDUCE_OPS: Record<string, OpSpec> = {
  ...Object.fromEntries(Object.entries(REDUCE).map(([k, d]) => [k, reduceSpec(d)])),
  ArgMax: argSpec('max'),
  ArgMin: argSpec('min'),
  Pad: pad,
};
