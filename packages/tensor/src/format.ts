import type { DType, TypedArray } from './dtype';

/**
 * NumPy-style text of a tensor's values. Past 1000 elements each axis shows
 * its first and last 3 entries around "...", as NumPy does.
 */
const THRESHOLD = 1000;
const EDGE = 3;

function fmtValue(v: number, dtype: DType): string {
  if (dtype === 'bool') return v ? 'true' : 'false';
  if (dtype === 'int32') return String(v);
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return `${v}.`;
  const s = Number(v.toPrecision(4));
  return Math.abs(s) >= 1e6 || (s !== 0 && Math.abs(s) < 1e-4) ? s.toExponential(3) : String(s);
}

export function formatTensor(values: TypedArray, shape: readonly number[], dtype: DType): string {
  const summarize = values.length > THRESHOLD;
  const cells: string[] = [];
  const strs = (i: number): string => fmtValue(values[i], dtype);
  // Collect the printed cells first so that every column has the same width.
  const visit = (axis: number, offset: number, stride: number[]): void => {
    if (axis === shape.length) {
      cells.push(strs(offset));
      return;
    }
    const n = shape[axis];
    for (const i of indices(n, summarize)) visit(axis + 1, offset + i * stride[axis], stride);
  };
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  visit(0, 0, strides);
  if (dtype === 'float32') alignDecimalPoints(cells);
  const width = cells.reduce((w, c) => Math.max(w, c.length), 0);
  let k = 0;
  const render = (axis: number, indent: string): string => {
    if (axis === shape.length) return cells[k++].padStart(width);
    const n = shape[axis];
    const parts: string[] = [];
    for (const i of indices(n, summarize)) {
      if (summarize && n > 2 * EDGE && i === n - EDGE) parts.push('...');
      parts.push(render(axis + 1, indent + ' '));
    }
    const sep = axis === shape.length - 1 ? ', ' : ',' + '\n'.repeat(shape.length - axis - 1) + indent + ' ';
    return `[${parts.join(sep)}]`;
  };
  const body = shape.length === 0 ? cells[0] : render(0, '');
  return `Tensor(${body}, shape=[${shape.join(',')}], dtype=${dtype})`;
}

/** Pads float cells so their decimal points line up, as NumPy prints `[ 7.5, 12. ]`. */
function alignDecimalPoints(cells: string[]): void {
  if (cells.some((c) => c.includes('e'))) return;
  // nan and ±inf have no decimal point: NumPy right-aligns them to the column
  // width (`[ nan, -inf,  0.5]`), which the caller's padStart already does.
  const finite = (c: string): boolean => c !== 'nan' && !c.endsWith('inf');
  const split = cells.map((c) => {
    const dot = c.indexOf('.');
    return dot < 0 ? [c, ''] : [c.slice(0, dot), c.slice(dot)];
  });
  const left = split.reduce((w, [l], i) => (finite(cells[i]) ? Math.max(w, l.length) : w), 0);
  const right = split.reduce((w, [, r], i) => (finite(cells[i]) ? Math.max(w, r.length) : w), 0);
  split.forEach(([l, r], i) => {
    if (finite(cells[i])) cells[i] = l.padStart(left) + r.padEnd(right);
  });
}

function indices(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE) return Array.from({ length: n }, (_, i) => i);
  return [...Array.from({ length: EDGE }, (_, i) => i), ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)];
}
