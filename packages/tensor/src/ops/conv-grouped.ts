import type { Conv2dParams } from '../backend';
import { tidy } from '../memory';
import type { Tensor } from '../tensor';
import { runConv2d } from './conv-kernel';
import { add, mul } from './elementwise';
import { concat, reshape, slice, unsqueeze } from './shape';
import { windowTaps } from './window-taps';

/**
 * A grouped convolution (NHWC, filter [kH,kW,C/groups,O]): input channels
 * [g·C/groups, (g+1)·C/groups) feed output channels [g·O/groups, (g+1)·O/groups).
 * Composed from primitives, so every backend runs it and autograd needs no
 * rule of its own:
 * - one filter channel per group (depthwise) with more groups than 2·kH·kW:
 *   a sum over the kH·kW taps of strided views times the filter's row for
 *   that tap (window-taps.ts), about 2·kH·kW elementwise passes over the
 *   output, however many channels;
 * - otherwise one conv2d kernel per group on channel views of x and w, then a
 *   concat: `groups` kernel calls, each 1/groups² of the dense work, so the
 *   loop costs launches, not arithmetic (a ResNeXt block's 32 groups are 32
 *   small convolutions).
 * `params` is the geometry of the whole convolution (inC = C, outC = O).
 */
export function groupedConv2d(x: Tensor, w: Tensor, groups: number, params: Conv2dParams): Tensor {
  const { inC, outC, kH, kW } = params;
  const perIn = inC / groups;
  const perOut = outC / groups;
  return tidy(() => {
    if (perIn === 1 && groups > 2 * kH * kW) return depthwiseTaps(x, w, params);
    const parts: Tensor[] = [];
    const p: Conv2dParams = { ...params, inC: perIn, outC: perOut };
    for (let g = 0; g < groups; g++) {
      const xg = slice(x, [0, 0, 0, g * perIn], [null, null, null, (g + 1) * perIn]);
      const wg = slice(w, [0, 0, 0, g * perOut], [null, null, null, (g + 1) * perOut]);
      parts.push(runConv2d(xg, wg, p));
    }
    return concat(parts, 3);
  });
}

/**
 * out[n,i,j,c·m+k] = Σ_taps x_tap[n,i,j,c] · w[ky,kx,0,c·m+k], with m = O / C
 * output channels per input channel (a depthwise filter [kH,kW,1,C·m]).
 */
function depthwiseTaps(x: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const { batch, outH, outW, inC, outC, kH, kW } = p;
  const m = outC / inC;
  const taps = windowTaps(x, p, 0);
  // [kH·kW, C, m]: one row of per-channel weights for each tap.
  const rows = reshape(w, [kH * kW, inC, m]);
  let acc: Tensor | null = null;
  for (let t = 0; t < taps.length; t++) {
    const row = slice(rows, [t], [t + 1]);
    const term = m === 1 ? mul(taps[t], reshape(row, [inC])) : mul(unsqueeze(taps[t], 4), reshape(row, [inC, m]));
    acc = acc === null ? term : add(acc, term);
  }
  return reshape(acc as Tensor, [batch, outH, outW, outC]);
}
