import { type DataFormat, type Padding2d, type Tensor, concat, conv2d, split, tidy } from '@tsdl/tensor';

export interface GroupedConvOptions {
  stride: readonly [number, number];
  padding: Padding2d;
  dilation: readonly [number, number];
  groups: number;
  dataFormat: DataFormat;
}

/**
 * conv2d with `groups`: the channels split into `groups` equal parts, each
 * convolved with its own slice of filters (weight [O, C/groups, kH, kW] in
 * NCHW, [kH, kW, C/groups, O] in NHWC), outputs concatenated in group order.
 */
export function groupedConv2d(x: Tensor, w: Tensor, o: GroupedConvOptions): Tensor {
  const opts = { strides: [o.stride[0], o.stride[1]] as [number, number], padding: o.padding, dilations: [o.dilation[0], o.dilation[1]] as [number, number], dataFormat: o.dataFormat };
  if (o.groups === 1) return conv2d(x, w, opts);
  const ch = o.dataFormat === 'NCHW' ? 1 : 3;
  const outAxis = o.dataFormat === 'NCHW' ? 0 : 3;
  return tidy(() => {
    const xs = split(x, o.groups, ch);
    const ws = split(w, o.groups, outAxis);
    return concat(
      xs.map((xg, g) => conv2d(xg, ws[g], opts)),
      ch,
    );
  });
}
