import * as T from '@tsdl/tensor';
import { ShapeError, type Tensor } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { ONNX } from '../data-types';
import type { GraphNode } from '../graph/node';
import type { RunContext } from '../runtime/context';
import { type Value, device } from '../runtime/value';
import { normAxis } from './axes';
import { type OpSpec, req } from './spec';

/** Products, softmax and normalization layers. */

const gemm: OpSpec = {
  attrs: { alpha: 'float', beta: 'float', transA: 'int', transB: 'int', broadcast: 'int' },
  inputs: [2, 3],
  run: (node, inputs, ctx) => {
    const a = ctx.tensor(req(inputs, 0), node, 'input A');
    const b = ctx.tensor(req(inputs, 1), node, 'input B');
    if (a.rank !== 2 || b.rank !== 2)
      throw new ShapeError(`${node.where}: A and B must be 2-D, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
    const alpha = node.float('alpha', 1);
    const beta = node.float('beta', 1);
    const out = T.tidy(() => {
      let y = T.matmul(a, b, {
        transposeA: node.intIn('transA', 0, [0, 1]) === 1,
        transposeB: node.intIn('transB', 0, [0, 1]) === 1,
      });
      if (alpha !== 1) y = T.mul(y, alpha);
      if (inputs[2]) {
        const c = ctx.tensor(inputs[2], node, 'input C');
        y = T.add(y, beta === 1 ? c : T.mul(c, beta));
      }
      return y;
    });
    return [device(out, ONNX.FLOAT)];
  },
};

const matmul: OpSpec = {
  attrs: {},
  inputs: [2, 2],
  run: (node, inputs, ctx) => [
    device(
      T.matmul(ctx.tensor(req(inputs, 0), node, 'input A'), ctx.tensor(req(inputs, 1), node, 'input B')),
      ONNX.FLOAT,
    ),
  ],
};

/**
 * Softmax over one axis (opset 13+); before 13 ONNX flattened the input to 2-D at
 * `axis` (default 1) and normalized over everything after it.
 */
function softmaxSpec(log: boolean): OpSpec {
  return {
    attrs: { axis: 'int' },
    inputs: [1, 1],
    run: (node, inputs, ctx) => {
      const x = ctx.tensor(req(inputs, 0), node, 'input');
      const f = log ? T.logSoftmax : T.softmax;
      if (ctx.opset >= 13) return [device(f(x, normAxis(node, node.int('axis', -1), x.rank)), ONNX.FLOAT)];
      const axis = normAxis(node, node.int('axis', 1), x.rank);
      const rows = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
      return [
        device(
          T.tidy(() => T.reshape(f(T.reshape(x, [rows, -1]), -1), x.shape)),
          ONNX.FLOAT,
        ),
      ];
    },
  };
}

/** Per-channel parameters ([C]) shaped to broadcast against an NC… input. */
function perChannel(t: Tensor, rank: number): Tensor {
  return T.reshape(t, [t.size, ...new Array<number>(rank - 2).fill(1)]);
}

const batchNormalization: OpSpec = {
  attrs: {
    epsilon: 'float',
    momentum: 'float',
    training_mode: 'int',
    spatial: 'int',
    is_test: 'int',
    consumed_inputs: 'ints',
  },
  inputs: [5, 5],
  outputs: [1, 5],
  check: (node) => {
    const problems: string[] = [];
    if (node.int('training_mode', 0) !== 0 || node.outputs.slice(1).some((o) => o !== ''))
      problems.push('BatchNormalization in training mode');
    if (node.int('spatial', 1) !== 1) problems.push('BatchNormalization with spatial=0');
    return problems;
  },
  run: (node, inputs, ctx) => {
    const x = ctx.tensor(req(inputs, 0), node, 'input X');
    if (x.rank < 2) throw new ShapeError(`${node.where}: X must have a channel axis, got shape ${fmtShape(x.shape)}`);
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) =>
      ctx.tensor(req(inputs, i), node, ['scale', 'B', 'input_mean', 'input_var'][i - 1]),
    );
    for (const p of [scale, bias, mean, variance]) {
      if (p.size !== x.shape[1])
        throw new ShapeError(
          `${node.where}: parameters of shape ${fmtShape(p.shape)} do not match ${x.shape[1]} channels of X ${fmtShape(x.shape)}`,
        );
    }
    const eps = node.float('epsilon', 1e-5);
    const out = T.tidy(() => {
      // x·a + b with a = scale/√(var + ε), b = B − mean·a: two elementwise ops over x.
      const a = T.div(scale, T.sqrt(T.add(variance, eps)));
      const b = T.sub(bias, T.mul(mean, a));
      return T.add(T.mul(x, perChannel(a, x.rank)), perChannel(b, x.rank));
    });
    return [device(out, ONNX.FLOAT)];
  },
};

const layerNormalization: OpSpec = {
  attrs: { axis: 'int', epsilon: 'float', stash_type: 'int' },
  inputs: [2, 3],
  outputs: [1, 3],
  run: (node, inputs, ctx) => {
    const x = ctx.tensor(req(inputs, 0), node, 'input X');
    const axis = normAxis(node, node.int('axis', -1), x.rank);
    const axes = Array.from({ length: x.rank - axis }, (_, i) => axis + i);
    const eps = node.float('epsilon', 1e-5);
    const scale = ctx.tensor(req(inputs, 1), node, 'input Scale');
    const bias = inputs[2] ? ctx.tensor(inputs[2], node, 'input B') : null;
    const [y, mean, inv] = T.tidy(() => {
      const m = T.mean(x, axes, true);
      const d = T.sub(x, m);
      const r = T.rsqrt(T.add(T.mean(T.mul(d, d), axes, true), eps));
      let out = T.mul(T.mul(d, r), scale);
      if (bias) out = T.add(out, bias);
      return [out, m, r];
    });
    const outs: Value[] = [device(y, ONNX.FLOAT)];
    if (node.outputs.length > 1) outs.push(device(mean, ONNX.FLOAT));
    else mean.dispose();
    if (node.outputs.length > 2) outs.push(device(inv, ONNX.FLOAT));
    else inv.dispose();
    return outs;
  },
};

const instanceNormalization: OpSpec = {
  attrs: { epsilon: 'float' },
  inputs: [3, 3],
  run: (node, inputs, ctx) => {
    const x = ctx.tensor(req(inputs, 0), node, 'input');
    if (x.rank < 3) throw new ShapeError(`${node.where}: input must be N×C×D1…, got ${fmtShape(x.shape)}`);
    const scale = ctx.tensor(req(inputs, 1), node, 'input scale');
    const bias = ctx.tensor(req(inputs, 2), node, 'input B');
    const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 2);
    const eps = node.float('epsilon', 1e-5);
    const out = T.tidy(() => {
      const d = T.sub(x, T.mean(x, axes, true));
      const r = T.rsqrt(T.add(T.mean(T.mul(d, d), axes, true), eps));
      return T.add(T.mul(T.mul(d, r), perChannel(scale, x.rank)), perChannel(bias, x.rank));
    });
    return [device(out, ONNX.FLOAT)];
  },
};

function trilu(node: GraphNode, inputs: readonly (Value | undefined)[], ctx: RunContext): Value[] {
  const x = req(inputs, 0);
  const k = inputs[1] ? ctx.scalar(inputs[1], node, 'input k') : 0;
  const t = ctx.tensor(x, node, 'input');
  return [device(node.intIn('upper', 1, [0, 1]) === 1 ? T.triu(t, k) : T.tril(t, k), x.type)];
}

export const LINALG_OPS: Record<string, OpSpec> = {
  Gemm: gemm,
  MatMul: matmul,
  Softmax: softmaxSpec(false),
  LogSoftmax: softmaxSpec(true),
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
  InstanceNormalization: instanceNormalization,
  Trilu: { attrs: { upper: 'int' }, inputs: [1, 2], run: trilu },
};
