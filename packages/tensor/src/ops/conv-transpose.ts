import type { Conv2dParams } from '../backend';
import { dispatch, wrap } from '../engine';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { tidy } from '../memory';
import type { Tensor } from '../tensor';
import {
  type DataFormat,
  type Padding2d,
  axisGeometry,
  check4d,
  groupsArg,
  pair,
  trailingReach,
} from './conv-geometry';
import { checkSize } from './internal';
import { checkOptions } from './options';
import { concat, slice, transpose } from './shape';
import { lowerings } from '../lowerings/index';
import type { OpAttrs } from '../op-names';

export interface Conv2dTransposeOptions {
  strides?: number | readonly [number, number];
  /**
   * The padding of the convolution this op transposes: 'valid', 'same' or
   * explicit cells, as conv2d takes them (PyTorch's `padding=p` is `p`).
   */
  padding?: Padding2d;
  dilations?: number | readonly [number, number];
  /**
   * 'NHWC' (default; TensorFlow.js): x [N,h,w,C], filter [kH,kW,O/groups,C],
   * outputShape [N,H,W,O]. 'NCHW' (PyTorch): x [N,C,h,w], filter
   * [C,O/groups,kH,kW] (ConvTranspose2d's weight), outputShape [N,O,H,W].
   */
  dataFormat?: DataFormat;
  /** Channel groups (default 1; PyTorch's ConvTranspose2d `groups`): C and O multiples of it. */
  groups?: number;
}

const OPTIONS = ['strides', 'padding', 'dilations', 'dataFormat', 'groups'];

/**
 * The transposed convolution (TensorFlow.js' tf.conv2dTranspose, PyTorch's
 * conv_transpose2d): the gradient of conv2d with respect to its input, for a
 * conv2d from `outputShape` with this filter, strides, padding and dilations.
 * It is that kernel (the backend's conv2dGradInput), so every backend runs it;
 * its own gradient is conv2d (for x) and conv2dGradFilter with x and dy
 * swapped (for w), the rule in autograd. `outputShape` fixes the size the
 * strided forward convolution would round away (PyTorch's output_padding):
 * the conv2d of that shape must give x's height and width, or it is a ShapeError.
 */
export function conv2dTranspose(
  x: Tensor,
  w: Tensor,
  outputShape: readonly number[],
  options: Conv2dTransposeOptions = {},
): Tensor {
  const op = 'conv2dTranspose';
  checkOptions(op, options, OPTIONS);
  check4d(op, x, 'input');
  check4d(op, w, 'filter');
  if (
    !Array.isArray(outputShape) ||
    outputShape.length !== 4 ||
    !outputShape.every((d) => Number.isInteger(d) && d >= 1)
  ) {
    throw new ArgumentError(
      `${op}: outputShape must be 4 positive integers [N,H,W,O] (NCHW: [N,O,H,W]), got ${JSON.stringify(outputShape)}`,
    );
  }
  const fmt = options.dataFormat ?? 'NHWC';
  if (fmt === 'NCHW') {
    const [n, o, h, ww] = outputShape;
    // Checked here so the message shows the NCHW shapes the caller passed.
    const groups = groupsArg(op, options.groups, x.shape[1], o, x.shape, w.shape);
    if (x.shape[1] !== w.shape[0] || o !== w.shape[1] * groups || n !== x.shape[0]) {
      throw new ShapeError(
        `${op}: NCHW input ${fmtShape(x.shape)}, filter ${fmtShape(w.shape)} [C,O/groups,kH,kW] and outputShape ${fmtShape(outputShape)} [N,O,H,W] disagree: expected C = ${w.shape[0]}, O = ${w.shape[1] * groups}${groups > 1 ? ` (groups ${groups})` : ''}, N = ${x.shape[0]}`,
      );
    }
    return tidy(() =>
      transpose(
        conv2dTranspose(transpose(x, [0, 2, 3, 1]), transpose(w, [2, 3, 1, 0]), [n, h, ww, o], {
          ...options,
          dataFormat: 'NHWC',
        }),
        [0, 3, 1, 2],
      ),
    );
  }
  if (fmt !== 'NHWC') throw new ArgumentError(`${op}: dataFormat must be 'NHWC' or 'NCHW', got ${JSON.stringify(fmt)}`);
  const [batch, h, wd, inC] = x.shape;
  const [kH, kW, wOut, wIn] = w.shape;
  const [outN, outH, outW, outC] = outputShape;
  const groups = groupsArg(op, options.groups, inC, outC, x.shape, w.shape);
  if (wIn !== inC) {
    throw new ShapeError(
      `${op}: input ${fmtShape(x.shape)} has ${inC} channels but filter ${fmtShape(w.shape)} [kH,kW,O,C] expects ${wIn}`,
    );
  }
  if (wOut * groups !== outC || outN !== batch) {
    throw new ShapeError(
      `${op}: outputShape ${fmtShape(outputShape)} must be [${batch},H,W,${wOut * groups}] for input ${fmtShape(x.shape)} and filter ${fmtShape(w.shape)}${groups > 1 ? ` with groups ${groups}` : ''}`,
    );
  }
  const [strideH, strideW] = pair(op, 'strides', options.strides, 1);
  const [dilationH, dilationW] = pair(op, 'dilations', options.dilations, 1);
  const padding = options.padding ?? 'valid';
  const [fwdH, padTop] = axisGeometry(op, padding, 0, outH, kH, strideH, dilationH);
  const [fwdW, padLeft] = axisGeometry(op, padding, 1, outW, kW, strideW, dilationW);
  if (fwdH !== h || fwdW !== wd) {
    throw new ShapeError(
      `${op}: a conv2d of outputShape ${fmtShape(outputShape)} (strides ${strideH},${strideW}, padding ${JSON.stringify(padding)}, dilations ${dilationH},${dilationW}) gives ${fwdH}×${fwdW}, but input ${fmtShape(x.shape)} is ${h}×${wd}`,
    );
  }
  checkSize(op, x.backend, outputShape, 'float32');
  // The forward convolution's geometry: its input is this op's output.
  const params: Conv2dParams = {
    batch,
    inH: outH,
    inW: outW,
    inC: outC / groups,
    outH: h,
    outW: wd,
    outC: inC / groups,
    kH,
    kW,
    strideH,
    strideW,
    dilationH,
    dilationW,
    padTop,
    padLeft,
  };
  if (groups === 1) return transposeKernel(x, w, params);
  const perIn = inC / groups;
  return tidy(() => {
    const parts: Tensor[] = [];
    for (let g = 0; g < groups; g++) {
      const xg = slice(x, [0, 0, 0, g * perIn], [null, null, null, (g + 1) * perIn]);
      const wg = slice(w, [0, 0, 0, g * perIn], [null, null, null, (g + 1) * perIn]);
      parts.push(transposeKernel(xg, wg, params));
    }
    return concat(parts, 3);
  });
}

/**
 * The recorded primitive. Its attrs carry, beside the geometry, the explicit
 * padding under which conv2d of the output's shape gives x's shape again:
 * the rule's gradient for x (a negative trailing reach means unread rows,
 * which explicit padding 0 leaves unread too).
 */
function transposeKernel(x: Tensor, w: Tensor, params: Conv2dParams): Tensor {
  const { batch, inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = params;
  const bottom = Math.max(0, trailingReach(inH, outH, padTop, kH, strideH, dilationH));
  const right = Math.max(0, trailingReach(inW, outW, padLeft, kW, strideW, dilationW));
  const gradPadding = [
    [padTop, bottom],
    [padLeft, right],
  ] as const;
  const attrs: OpAttrs['conv2dTranspose'] = {
    params,
    convOptions: { strides: [strideH, strideW], dilations: [dilationH, dilationW], padding: gradPadding },
  };
  return dispatch('conv2dTranspose', [x, w], attrs, (backend) =>
    backend.conv2dGradInput
      ? wrap(backend, backend.conv2dGradInput(x.view(), w.view(), params), [batch, inH, inW, inC], 'float32')
      : lowerings.conv2dGradInput(x, w, params),
  );
}
