import { ArgumentError, ShapeError, type Tensor, matmul, reshape, sum, tidy, transpose } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';

/**
 * A two-operand einsum ('ab,bc->ac', 'abc,cde->abde', 'bij,bjk->bik' …) composed of sum,
 * transpose, reshape and one batched matmul, so it runs and differentiates on every backend:
 * letters in both operands and the output are batch axes, in both operands only contracted,
 * in one operand and the output free. `...` must already be spelt out as letters (see
 * EinsumDense). A letter repeated within one operand (a diagonal) is refused.
 */
export function einsum2(label: string, equation: string, x: Tensor, y: Tensor): Tensor {
  const m = /^([^,]+),([^,]+)->(.*)$/.exec(equation);
  if (!m) throw new ArgumentError(`${label}: einsum equation ${JSON.stringify(equation)} must read 'in1,in2->out'`);
  const [xs, ys, os] = [[...m[1]], [...m[2]], [...m[3]]];
  for (const [spec, t, what] of [
    [xs, x, 'input'],
    [ys, y, 'kernel'],
  ] as const) {
    if (new Set(spec).size !== spec.length)
      throw new ArgumentError(
        `${label}: the ${what} spec '${spec.join('')}' repeats a letter (diagonals are not supported)`,
      );
    if (spec.length !== t.rank)
      throw new ShapeError(
        `${label}: the ${what} spec '${spec.join('')}' has ${spec.length} letters but the ${what} has shape ${fmtShape(t.shape)}`,
      );
  }
  const size = new Map<string, number>();
  for (const [spec, t] of [
    [xs, x],
    [ys, y],
  ] as const) {
    spec.forEach((c, i) => {
      const d = t.shape[i];
      const known = size.get(c);
      if (known !== undefined && known !== d)
        throw new ShapeError(
          `${label}: axis '${c}' has size ${known} in one operand and ${d} in the other (shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)})`,
        );
      size.set(c, d);
    });
  }
  const missing = os.find((c) => !size.has(c));
  if (missing)
    throw new ArgumentError(`${label}: output axis '${missing}' of ${JSON.stringify(equation)} is in neither operand`);
  const inX = new Set(xs);
  const inY = new Set(ys);
  const inO = new Set(os);
  const batch = os.filter((c) => inX.has(c) && inY.has(c));
  const contract = xs.filter((c) => inY.has(c) && !inO.has(c));
  const freeX = xs.filter((c) => !inY.has(c) && inO.has(c));
  const freeY = ys.filter((c) => !inX.has(c) && inO.has(c));
  const n = (cs: string[]): number => cs.reduce((p, c) => p * (size.get(c) as number), 1);
  return tidy(() => {
    // Axes in one operand only and not in the output are summed away first.
    const reduceOnly = (t: Tensor, spec: string[], other: Set<string>): [Tensor, string[]] => {
      const axes = spec.flatMap((c, i) => (!other.has(c) && !inO.has(c) ? [i] : []));
      return axes.length === 0 ? [t, spec] : [sum(t, axes), spec.filter((_, i) => !axes.includes(i))];
    };
    const [xr, xspec] = reduceOnly(x, xs, inY);
    const [yr, yspec] = reduceOnly(y, ys, inX);
    const order = (spec: string[], want: string[]): number[] => want.map((c) => spec.indexOf(c));
    const a = reshape(transpose(xr, order(xspec, [...batch, ...freeX, ...contract])), [
      n(batch),
      n(freeX),
      n(contract),
    ]);
    const b = reshape(transpose(yr, order(yspec, [...batch, ...contract, ...freeY])), [
      n(batch),
      n(contract),
      n(freeY),
    ]);
    const got = [...batch, ...freeX, ...freeY];
    const out = reshape(
      matmul(a, b),
      got.map((c) => size.get(c) as number),
    );
    const perm = order(got, os);
    return perm.every((p, i) => p === i) ? out : transpose(out, perm);
  });
}
