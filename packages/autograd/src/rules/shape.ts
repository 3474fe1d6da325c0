import { type Tensor, gather, pad, reshape, scatterAdd, slice, split, transpose } from '@tsdl/tensor';
import { sizeOf } from '@tsdl/tensor/backend';
import { type RuleTable, rule } from '../registry';

/** Vector-Jacobian rules of the view and movement ops. */

/** The adjoint of a strided slice: dy placed back into zeros of the source shape. */
function unslice(dy: Tensor, begin: readonly number[], step: readonly number[], from: readonly number[]): Tensor {
  let g = dy;
  for (let axis = 0; axis < from.length; axis++) {
    const s = step[axis] ?? 1;
    const n = g.shape[axis];
    if (s > 1 && n > 0) {
      // Interleave s-1 zeros after each element: [.., n, ..] -> [.., n, s, ..] -> [.., n*s, ..].
      const expanded = reshape(g, [...g.shape.slice(0, axis + 1), 1, ...g.shape.slice(axis + 1)]);
      const pads = expanded.shape.map((): [number, number] => [0, 0]);
      pads[axis + 1] = [0, s - 1];
      const spread = pad(expanded, pads);
      g = reshape(spread, [...g.shape.slice(0, axis), n * s, ...g.shape.slice(axis + 1)]);
    }
    const span = Math.min(g.shape[axis], from[axis] - begin[axis]);
    if (span !== g.shape[axis]) {
      const b = g.shape.map(() => 0);
      const e = g.shape.map((d) => d);
      e[axis] = span;
      g = slice(g, b, e);
    }
  }
  const pads = from.map((d, i): [number, number] =>
    sizeOf(from) === 0 ? [0, 0] : [begin[i], d - begin[i] - g.shape[i]],
  );
  return pad(g, pads);
}

export const shapeRules = {
  reshape: rule((dy, { attrs }) => [reshape(dy, attrs.from)], { inputs: false, output: false }),
  transpose: rule(
    (dy, { attrs }) => {
      const inv = new Array<number>(attrs.perm.length);
      attrs.perm.forEach((p: number, i: number) => (inv[p] = i));
      return [transpose(dy, inv)];
    },
    { inputs: false, output: false },
  ),
  // The engine sums the broadcast gradient back to the input's shape.
  broadcastTo: rule((dy) => [dy], { inputs: false, output: false }),
  slice: rule((dy, { attrs }) => [unslice(dy, attrs.begin, attrs.step, attrs.from)], { inputs: false, output: false }),
  concat: rule((dy, { attrs }) => split(dy, attrs.sizes, attrs.axis), { inputs: false, output: false }),
  pad: rule(
    (dy, { attrs }) => [
      slice(
        dy,
        attrs.pads.map((p) => p[0]),
        attrs.pads.map((p, i) => dy.shape[i] - p[1]),
      ),
    ],
    { inputs: false, output: false },
  ),
  gather: rule(
    (dy, { inputs: [, indices], attrs }) => [scatterAdd(dy, indices as Tensor, attrs.axis, attrs.from), null],
    {
      output: false,
    },
  ),
  scatterAdd: rule((dy, { inputs: [, indices], attrs }) => [gather(dy, indices as Tensor, attrs.axis), null], {
    output: false,
  }),
} satisfies Partial<RuleTable>;
