import * as T from '@tsdl/tensor';
import { ArgumentError, ShapeError } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { ONNX } from '../data-types';
import type { GraphNode } from '../graph/node';
import { device } from '../runtime/value';
import { type OpSpec, req } from './spec';

/**
 * Resize (opset 10+) and Upsample (opsets 7–9) of N×C×H×W images, on tsdl's
 * NHWC resizeNearest / resizeBilinear, whose TensorFlow index rules cover the
 * coordinate modes PyTorch exports: nn.Upsample's nearest is
 * asymmetric + floor, bilinear is pytorch_half_pixel (half-pixel centres) or
 * align_corners.
 */

type Plan = { kind: 'nearest' | 'linear'; alignCorners: boolean; halfPixelCenters: boolean };

/** The tsdl resize for a node's mode and coordinate attributes, or a description of what is missing. */
function plan(node: GraphNode, opset: number): Plan | string {
  const mode = node.string('mode', 'nearest');
  // Opset 10's Resize and Upsample had no coordinate attributes: their rule is asymmetric with floor.
  const ctm = opset >= 11 ? node.string('coordinate_transformation_mode', 'half_pixel') : 'asymmetric';
  const nearestMode = opset >= 11 ? node.string('nearest_mode', 'round_prefer_floor') : 'floor';
  if (node.float('extrapolation_value', 0) !== 0 || node.int('exclude_outside', 0) !== 0)
    return `${node.opType} with exclude_outside or extrapolation_value`;
  if (mode === 'nearest') {
    if (ctm === 'asymmetric' && nearestMode === 'floor')
      return { kind: 'nearest', alignCorners: false, halfPixelCenters: false };
    if (ctm === 'tf_half_pixel_for_nn' && nearestMode === 'floor')
      return { kind: 'nearest', alignCorners: false, halfPixelCenters: true };
    if (ctm === 'align_corners' && nearestMode === 'round_prefer_ceil')
      return { kind: 'nearest', alignCorners: true, halfPixelCenters: false };
    return `${node.opType} nearest with coordinate_transformation_mode '${ctm}' and nearest_mode '${nearestMode}'`;
  }
  if (mode === 'linear' || mode === 'bilinear') {
    if (ctm === 'half_pixel' || ctm === 'pytorch_half_pixel')
      return { kind: 'linear', alignCorners: false, halfPixelCenters: true };
    if (ctm === 'align_corners') return { kind: 'linear', alignCorners: true, halfPixelCenters: false };
    if (ctm === 'asymmetric') return { kind: 'linear', alignCorners: false, halfPixelCenters: false };
    return `${node.opType} linear with coordinate_transformation_mode '${ctm}'`;
  }
  return `${node.opType} with mode '${mode}'`;
}

function resizeSpec(upsample: boolean): OpSpec {
  return {
    attrs: upsample
      ? { mode: 'string', scales: 'floats' }
      : {
          mode: 'string',
          coordinate_transformation_mode: 'string',
          nearest_mode: 'string',
          cubic_coeff_a: 'float',
          exclude_outside: 'int',
          extrapolation_value: 'float',
          antialias: 'int',
          axes: 'ints',
          keep_aspect_ratio_policy: 'string',
        },
    inputs: upsample ? [1, 2] : [1, 4],
    check: (node, opset) => {
      const p = plan(node, opset);
      const problems = typeof p === 'string' ? [p] : [];
      if (node.int('antialias', 0) !== 0) problems.push(`${node.opType} with antialias`);
      if (node.has('axes') || node.string('keep_aspect_ratio_policy', 'stretch') !== 'stretch')
        problems.push(`${node.opType} with axes or keep_aspect_ratio_policy`);
      return problems;
    },
    run: (node, inputs, ctx) => {
      const p = plan(node, ctx.opset) as Plan;
      const x = ctx.tensor(req(inputs, 0), node, 'input X');
      if (x.rank !== 4)
        throw new ShapeError(`${node.where}: tsdl resizes N×C×H×W images, got shape ${fmtShape(x.shape)}`);
      const [, , inH, inW] = x.shape;
      let size: [number, number];
      // Inputs: Upsample (X, scales); Resize 10 (X, scales); Resize 11+ (X, roi, scales, sizes).
      const scalesAt = upsample || ctx.opset < 11 ? 1 : 2;
      const sizes = !upsample && ctx.opset >= 11 && inputs[3] ? ctx.ints(inputs[3], node, 'input sizes') : null;
      const scalesValue = inputs[scalesAt] ? ctx.host(inputs[scalesAt]!, node, 'input scales') : null;
      const scales =
        scalesValue && scalesValue.data.length > 0
          ? Array.from(scalesValue.data)
          : upsample && node.has('scales')
            ? node.floats('scales')
            : null;
      if (sizes) {
        if (sizes.length !== 4 || sizes[0] !== x.shape[0] || sizes[1] !== x.shape[1])
          throw new ArgumentError(
            `${node.where}: sizes [${sizes.join(', ')}] must keep N and C of ${fmtShape(x.shape)}`,
          );
        size = [sizes[2], sizes[3]];
      } else if (scales) {
        if (scales.length !== 4 || scales[0] !== 1 || scales[1] !== 1)
          throw new ArgumentError(`${node.where}: scales [${scales.join(', ')}] must be [1, 1, h, w]`);
        size = [Math.floor(inH * scales[2]), Math.floor(inW * scales[3])];
      } else {
        throw new ArgumentError(`${node.where}: needs scales or sizes`);
      }
      const options = { alignCorners: p.alignCorners, halfPixelCenters: p.halfPixelCenters };
      const out = T.tidy(() => {
        const nhwc = T.transpose(x, [0, 2, 3, 1]);
        const y = p.kind === 'nearest' ? T.resizeNearest(nhwc, size, options) : T.resizeBilinear(nhwc, size, options);
        return T.transpose(y, [0, 3, 1, 2]);
      });
      return [device(out, p.kind === 'nearest' ? req(inputs, 0).type : ONNX.FLOAT)];
    },
  };
}

export const RESIZE_OPS: Record<string, OpSpec> = {
  Resize: resizeSpec(false),
  Upsample: resizeSpec(true),
};
