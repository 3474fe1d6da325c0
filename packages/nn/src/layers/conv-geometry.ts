import { ArgumentError, type Padding2d } from '@tsdl/tensor';

/**
 * Option parsing and padding arithmetic shared by the convolution and
 * pooling modules of every rank (1-D modules run as 2-D ones of height 1).
 */

/** One size per spatial axis, or one number for all. */
export function tupleOption(owner: string, name: string, v: unknown, rank: number, min = 1): number[] {
  const t = typeof v === 'number' ? new Array<number>(rank).fill(v) : Array.isArray(v) ? [...(v as number[])] : null;
  if (t === null || t.length !== rank || !t.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= min)) {
    const what = rank === 1 ? 'an integer' : `an integer or ${rank} integers`;
    throw new ArgumentError(`${owner}: ${name} must be ${what} >= ${min}, got ${JSON.stringify(v)}`);
  }
  return t;
}

export function positiveIntOption(owner: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    throw new ArgumentError(`${owner}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

export function boolOption(owner: string, name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ArgumentError(`${owner}: ${name} must be a boolean, got ${String(v)}`);
  return v;
}

/**
 * [before, after] per spatial axis for `padding` over an input of `sizes`.
 * 'same' follows TensorFlow's rule (output = ceil(input / stride), the odd cell
 * after), which is PyTorch's where PyTorch allows 'same' (stride 1).
 */
export function resolvePads(
  padding: 'valid' | 'same' | readonly (readonly [number, number])[],
  sizes: readonly number[],
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
): [number, number][] {
  if (padding === 'valid') return sizes.map(() => [0, 0]);
  if (padding === 'same') {
    return sizes.map((n, i) => {
      const eff = (kernel[i] - 1) * dilation[i] + 1;
      const total = Math.max((Math.ceil(n / stride[i]) - 1) * stride[i] + eff - n, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  }
  return padding.map(([b, a]) => [b, a]);
}

/** Padding2d (a number, [h, w] or [[top, bottom], [left, right]]) as pairs, checked; 'same'/'valid' kept. */
export function padding2dOption(owner: string, v: unknown): 'valid' | 'same' | [number, number][] {
  if (v === undefined || v === 'valid') return 'valid';
  if (v === 'same') return 'same';
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (ok(v))
    return [
      [v, v],
      [v, v],
    ];
  if (Array.isArray(v) && v.length === 2) {
    if (ok(v[0]) && ok(v[1]))
      return [
        [v[0], v[0]],
        [v[1], v[1]],
      ];
    const pairs = v as unknown[];
    if (pairs.every((p) => Array.isArray(p) && p.length === 2 && ok(p[0]) && ok(p[1]))) {
      return (pairs as [number, number][]).map(([b, a]) => [b, a]);
    }
  }
  throw new ArgumentError(
    `${owner}: padding must be 'valid', 'same', an integer >= 0, [h, w] or [[top, bottom], [left, right]], got ${JSON.stringify(v)}`,
  );
}

/** The same padding in tensor's Padding2d form. */
export function toPadding2d(p: 'valid' | 'same' | readonly (readonly [number, number])[]): Padding2d {
  if (p === 'valid' || p === 'same') return p;
  return [
    [p[0][0], p[0][1]],
    [p[1][0], p[1][1]],
  ];
}
