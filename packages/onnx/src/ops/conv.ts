import * as T from '@tsdl/tensor';
import { ArgumentError, ShapeError, type Tensor } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { ONNX } from '../data-types';
import type { GraphNode } from '../graph/node';
import { device } from '../runtime/value';
import { type OpSpec, req } from './spec';

/**
 * ONNX's NCHW convolution and pooling over tsdl's NHWC kernels: the input is
 * transposed to NHWC (and the OIHW filter to HWIO), the op runs, the result is
 * transposed back. 1-D ops (N×C×L) run as 2-D ones with H = 1.
 */

interface Geometry {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [[top, bottom], [left, right]]. */
  pads: [[number, number], [number, number]];
  /** Output height and width. */
  out: [number, number];
}

function pair(node: GraphNode, name: string, v: number[], spatial: number): [number, number] {
  if (v.length !== spatial || v.some((n) => !Number.isInteger(n)))
    throw new ArgumentError(`${node.where}: ${name} [${v.join(', ')}] must have ${spatial} integers`);
  return spatial === 1 ? [1, v[0]] : [v[0], v[1]];
}

/**
 * Kernel, strides, dilations and pads of a 1-D or 2-D window op from ONNX's
 * attributes: explicit `pads` (begins then ends) or `auto_pad`, and
 * `ceil_mode` for pools (the last window may hang over the end, as long as it
 * starts inside the input or its leading padding, PyTorch's rule).
 */
function geometry(
  node: GraphNode,
  inH: number,
  inW: number,
  spatial: number,
  kernel: [number, number],
  ceil = false,
): Geometry {
  const strides = pair(node, 'strides', node.ints('strides', new Array<number>(spatial).fill(1)), spatial);
  const dilations = pair(node, 'dilations', node.ints('dilations', new Array<number>(spatial).fill(1)), spatial);
  if ([...strides, ...dilations, ...kernel].some((n) => n < 1))
    throw new ArgumentError(`${node.where}: kernel, strides and dilations must be >= 1`);
  const autoPad = node.string('auto_pad', 'NOTSET');
  const size = [inH, inW];
  const pads: [[number, number], [number, number]] = [
    [0, 0],
    [0, 0],
  ];
  const out: [number, number] = [0, 0];
  const explicit = node.ints('pads', new Array<number>(2 * spatial).fill(0));
  if (explicit.length !== 2 * spatial || explicit.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new ArgumentError(`${node.where}: pads [${explicit.join(', ')}] must be ${2 * spatial} integers >= 0`);
  }
  for (let a = 0; a < 2; a++) {
    const eff = (kernel[a] - 1) * dilations[a] + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      out[a] = Math.ceil(size[a] / strides[a]);
      const total = Math.max((out[a] - 1) * strides[a] + eff - size[a], 0);
      const small = Math.floor(total / 2);
      pads[a] = autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
      continue;
    }
    if (autoPad === 'NOTSET' && !(spatial === 1 && a === 0)) {
      const k = spatial === 1 ? 0 : a;
      pads[a] = [explicit[k], explicit[k + spatial]];
    } else if (autoPad !== 'NOTSET' && autoPad !== 'VALID') {
      throw new ArgumentError(
        `${node.where}: auto_pad is '${autoPad}'; expected NOTSET, VALID, SAME_UPPER or SAME_LOWER`,
      );
    }
    const span = size[a] + pads[a][0] + pads[a][1] - eff;
    if (span < 0)
      throw new ShapeError(
        `${node.where}: a window of ${eff} does not fit an input of ${size[a]} with padding ${pads[a][0]}+${pads[a][1]}`,
      );
    out[a] = (ceil ? Math.ceil(span / strides[a]) : Math.floor(span / strides[a])) + 1;
    if (ceil && (out[a] - 1) * strides[a] >= size[a] + pads[a][0]) out[a]--;
  }
  return { kernel, strides, dilations, pads, out };
}

/** N×C×L or N×C×H×W as NHWC (1-D with H = 1); `spatial` is 1 or 2. */
function toNhwc(node: GraphNode, x: Tensor): { x: Tensor; spatial: number } {
  if (x.rank === 3) return { x: T.transpose(T.unsqueeze(x, 2), [0, 2, 3, 1]), spatial: 1 };
  if (x.rank === 4) return { x: T.transpose(x, [0, 2, 3, 1]), spatial: 2 };
  throw new ShapeError(
    `${node.where}: tsdl runs 1-D and 2-D ${node.opType} (inputs N×C×L or N×C×H×W), got shape ${fmtShape(x.shape)}`,
  );
}

function fromNhwc(y: Tensor, spatial: number): Tensor {
  const nchw = T.transpose(y, [0, 3, 1, 2]);
  return spatial === 1 ? T.squeeze(nchw, 2) : nchw;
}

const conv: OpSpec = {
  attrs: { auto_pad: 'string', dilations: 'ints', group: 'int', kernel_shape: 'ints', pads: 'ints', strides: 'ints' },
  inputs: [2, 3],
  check: (node) =>
    node.has('kernel_shape') && node.ints('kernel_shape').length > 2
      ? [`Conv with ${node.ints('kernel_shape').length}-D kernels`]
      : [],
  run: (node, inputs, ctx) => {
    const xIn = ctx.tensor(req(inputs, 0), node, 'input X');
    const w = ctx.tensor(req(inputs, 1), node, 'input W');
    const b = inputs[2] ? ctx.tensor(inputs[2], node, 'input B') : null;
    const groups = node.int('group', 1);
    const out = T.tidy(() => {
      const { x, spatial } = toNhwc(node, xIn);
      if (w.rank !== xIn.rank)
        throw new ShapeError(`${node.where}: W ${fmtShape(w.shape)} and X ${fmtShape(xIn.shape)} differ in rank`);
      const [outC, perGroup] = w.shape;
      const inC = xIn.shape[1];
      if (
        !Number.isInteger(groups) ||
        groups < 1 ||
        inC % groups !== 0 ||
        outC % groups !== 0 ||
        perGroup * groups !== inC
      ) {
        throw new ShapeError(
          `${node.where}: X has ${inC} channels and W ${fmtShape(w.shape)}, which do not make ${groups} groups`,
        );
      }
      if (b && (b.rank !== 1 || b.size !== outC))
        throw new ShapeError(`${node.where}: B ${fmtShape(b.shape)} does not match ${outC} output channels`);
      const kernel: [number, number] = spatial === 1 ? [1, w.shape[2]] : [w.shape[2], w.shape[3]];
      if (node.has('kernel_shape')) {
        const k = pair(node, 'kernel_shape', node.ints('kernel_shape'), spatial);
        if (k[0] !== kernel[0] || k[1] !== kernel[1])
          throw new ShapeError(
            `${node.where}: kernel_shape [${node.ints('kernel_shape').join(', ')}] does not match W ${fmtShape(w.shape)}`,
          );
      }
      const g = geometry(node, x.shape[1], x.shape[2], spatial, kernel);
      // OIHW → HWIO.
      const hwio = spatial === 1 ? T.transpose(T.unsqueeze(w, 2), [2, 3, 1, 0]) : T.transpose(w, [2, 3, 1, 0]);
      let y = T.conv2d(x, hwio, { strides: g.strides, dilations: g.dilations, padding: g.pads, groups });
      if (b) y = T.add(y, b);
      return fromNhwc(y, spatial);
    });
    return [device(out, ONNX.FLOAT)];
  },
};

function poolSpec(kind: 'max' | 'avg'): OpSpec {
  const attrs: OpSpec['attrs'] =
    kind === 'max'
      ? {
          auto_pad: 'string',
          ceil_mode: 'int',
          dilations: 'ints',
          kernel_shape: 'ints',
          pads: 'ints',
          storage_order: 'int',
          strides: 'ints',
        }
      : {
          auto_pad: 'string',
          ceil_mode: 'int',
          count_include_pad: 'int',
          kernel_shape: 'ints',
          pads: 'ints',
          strides: 'ints',
          dilations: 'ints',
        };
  return {
    attrs,
    inputs: [1, 1],
    outputs: [1, 2],
    check: (node) => {
      const problems: string[] = [];
      const op = node.opType;
      if (node.ints('dilations', []).some((d) => d !== 1)) problems.push(`${op} with dilations`);
      if (node.outputs.length > 1 && node.outputs[1] !== '') problems.push(`${op} with its Indices output`);
      if (node.ints('kernel_shape').length > 2)
        problems.push(`${op} with ${node.ints('kernel_shape').length}-D windows`);
      if (kind === 'avg' && node.int('count_include_pad', 0) === 1 && node.int('ceil_mode', 0) === 1)
        problems.push('AveragePool with ceil_mode and count_include_pad');
      return problems;
    },
    run: (node, inputs, ctx) => {
      const xIn = ctx.tensor(req(inputs, 0), node, 'input X');
      const ceil = node.intIn('ceil_mode', 0, [0, 1]) === 1;
      const includePad = kind === 'avg' && node.intIn('count_include_pad', 0, [0, 1]) === 1;
      const out = T.tidy(() => {
        const nhwc = toNhwc(node, xIn);
        const spatial = nhwc.spatial;
        let x = nhwc.x;
        const kernel = pair(node, 'kernel_shape', node.ints('kernel_shape'), spatial);
        const g = geometry(node, x.shape[1], x.shape[2], spatial, kernel, ceil);
        let pads = g.pads;
        if (includePad) {
          // Padding counted in the divisor: pad with zeros first, then pool without padding.
          x = T.pad(x, [[0, 0], pads[0], pads[1], [0, 0]]);
          pads = [
            [0, 0],
            [0, 0],
          ];
        }
        // A ceil-mode window that hangs over the end: padding that max never picks and mean never counts.
        const inSize = [x.shape[1], x.shape[2]];
        const padding = pads.map((p, a) => [
          p[0],
          Math.max(p[1], (g.out[a] - 1) * g.strides[a] + kernel[a] - inSize[a] - p[0]),
        ]) as [[number, number], [number, number]];
        const options = { kernelSize: kernel, strides: g.strides, padding };
        const y = kind === 'max' ? T.maxPool2d(x, options) : T.avgPool2d(x, options);
        return fromNhwc(y, spatial);
      });
      return [device(out, ONNX.FLOAT)];
    },
  };
}

function globalPool(kind: 'max' | 'avg'): OpSpec {
  return {
    attrs: {},
    inputs: [1, 1],
    run: (node, inputs, ctx) => {
      const x = ctx.tensor(req(inputs, 0), node, 'input X');
      if (x.rank < 3) throw new ShapeError(`${node.where}: input must be N×C×D1…, got ${fmtShape(x.shape)}`);
      const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 2);
      return [device(kind === 'max' ? T.max(x, axes, true) : T.mean(x, axes, true), ONNX.FLOAT)];
    },
  };
}

export const CONV_OPS: Record<string, OpSpec> = {
  Conv: conv,
  MaxPool: poolSpec('max'),
  AveragePool: poolSpec('avg'),
  GlobalMaxPool: globalPool('max'),
  GlobalAveragePool: globalPool('avg'),
};
