import type { DType, TypedArray } from '@tsdl/tensor';
import type { BinaryOp, ElementwiseSpec, Expr, UnaryOp } from '@tsdl/tensor/backend';
import { erfScalar, roundHalfEven, scalarValue } from '@tsdl/tensor/backend';
import { type Alloc, arr, jsAlloc, sizeOfShape } from '../data';

/**
 * Elementwise kernels generated as JavaScript, one per expression list, output
 * dtypes and layout, compiled once with `new Function` and cached. The body
 * is a plain loop with the expression inlined, so a fused update such as
 * Adam's is one pass over memory with no calls or allocation per element.
 */

type Kernel = (
  outs: TypedArray[],
  ins: TypedArray[],
  offs: number[],
  strides: number[][],
  shape: readonly number[],
  s: readonly number[],
) => void;

/** Functions the generated code calls by name. */
const HELPERS = { erf: erfScalar, rhe: roundHalfEven, sign: (x: number) => (x > 0 ? 1 : x < 0 ? -1 : x) };

// Records over every op: an expression op without its JavaScript form fails tsc.
const UNARY: Record<UnaryOp, (a: string) => string> = {
  neg: (a) => `(-${a})`,
  abs: (a) => `Math.abs(${a})`,
  exp: (a) => `Math.exp(${a})`,
  expm1: (a) => `Math.expm1(${a})`,
  log: (a) => `Math.log(${a})`,
  log1p: (a) => `Math.log1p(${a})`,
  sqrt: (a) => `Math.sqrt(${a})`,
  rsqrt: (a) => `(1/Math.sqrt(${a}))`,
  sin: (a) => `Math.sin(${a})`,
  cos: (a) => `Math.cos(${a})`,
  tanh: (a) => `Math.tanh(${a})`,
  sigmoid: (a) => `(1/(1+Math.exp(-${a})))`,
  sign: (a) => `H.sign(${a})`,
  floor: (a) => `Math.floor(${a})`,
  ceil: (a) => `Math.ceil(${a})`,
  round: (a) => `H.rhe(${a})`,
  erf: (a) => `H.erf(${a})`,
  not: (a) => `(${a}===0?1:0)`,
};

const BINARY: Record<BinaryOp, (a: string, b: string) => string> = {
  add: (a, b) => `(${a}+${b})`,
  sub: (a, b) => `(${a}-${b})`,
  mul: (a, b) => `(${a}*${b})`,
  div: (a, b) => `(${a}/${b})`,
  pow: (a, b) => `Math.pow(${a},${b})`,
  max: (a, b) => `Math.max(${a},${b})`,
  min: (a, b) => `Math.min(${a},${b})`,
  eq: (a, b) => `(${a}===${b}?1:0)`,
  ne: (a, b) => `(${a}!==${b}?1:0)`,
  lt: (a, b) => `(${a}<${b}?1:0)`,
  le: (a, b) => `(${a}<=${b}?1:0)`,
  gt: (a, b) => `(${a}>${b}?1:0)`,
  ge: (a, b) => `(${a}>=${b}?1:0)`,
  and: (a, b) => `(${a}!==0&&${b}!==0?1:0)`,
  or: (a, b) => `(${a}!==0||${b}!==0?1:0)`,
};

function literal(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '(-Infinity)';
  if (Object.is(v, -0)) return '(-0)';
  return v < 0 ? `(${v})` : String(v);
}

function emit(e: Expr, used: Set<number>): string {
  switch (e.kind) {
    case 'input':
      used.add(e.index);
      return `x${e.index}`;
    case 'const':
      return literal(e.value);
    case 'scalar':
      return `s[${e.index}]`;
    case 'unary':
      return UNARY[e.op](emit(e.a, used));
    case 'binary':
      return BINARY[e.op](emit(e.a, used), emit(e.b, used));
    case 'where':
      return `(${emit(e.cond, used)}!==0?${emit(e.a, used)}:${emit(e.b, used)})`;
  }
}

function store(dtype: DType, v: string): string {
  return dtype === 'bool' ? `(${v}!==0?1:0)` : v;
}

/** Layout 'flat': every input is dense over the output (or a broadcast constant), so one index serves all. */
function flatSource(bodies: string[], used: Set<number>, constant: boolean[], nIn: number): string {
  const lines: string[] = ['const n = shape.reduce((a, b) => a * b, 1);'];
  for (let k = 0; k < nIn; k++) {
    if (!used.has(k)) continue;
    lines.push(constant[k] ? `const x${k} = ins[${k}][offs[${k}]];` : `const a${k} = ins[${k}], o${k} = offs[${k}];`);
  }
  bodies.forEach((_, k) => lines.push(`const out${k} = outs[${k}];`));
  lines.push('for (let i = 0; i < n; i++) {');
  for (let k = 0; k < nIn; k++) if (used.has(k) && !constant[k]) lines.push(`  const x${k} = a${k}[o${k} + i];`);
  bodies.forEach((b, k) => lines.push(`  out${k}[i] = ${b};`));
  lines.push('}');
  return lines.join('\n');
}

/** Layout 'strided': an N-d counter over the outer dims, incremental offsets per input, a tight inner loop. */
function stridedSource(bodies: string[], used: Set<number>, nIn: number): string {
  const ks = [...used];
  const lines: string[] = [
    'const rank = shape.length;',
    'const n = shape.reduce((a, b) => a * b, 1);',
    'if (n === 0) return;',
    'const inner = shape[rank - 1];',
    'const idx = new Array(rank).fill(0);',
  ];
  for (const k of ks)
    lines.push(`const a${k} = ins[${k}], st${k} = strides[${k}], is${k} = st${k}[rank - 1]; let b${k} = offs[${k}];`);
  bodies.forEach((_, k) => lines.push(`const out${k} = outs[${k}];`));
  lines.push('let p = 0;');
  lines.push('for (;;) {');
  lines.push(`  for (let j = 0; j < inner; j++, p++) {`);
  for (const k of ks) lines.push(`    const x${k} = a${k}[b${k} + j * is${k}];`);
  bodies.forEach((b, k) => lines.push(`    out${k}[p] = ${b};`));
  lines.push('  }');
  lines.push('  let d = rank - 2;');
  lines.push('  for (; d >= 0; d--) {');
  lines.push('    idx[d]++;');
  for (const k of ks) lines.push(`    b${k} += st${k}[d];`);
  lines.push('    if (idx[d] < shape[d]) break;');
  for (const k of ks) lines.push(`    b${k} -= st${k}[d] * shape[d];`);
  lines.push('    idx[d] = 0;');
  lines.push('  }');
  lines.push('  if (d < 0) break;');
  lines.push('}');
  void nIn;
  return lines.join('\n');
}

const cache = new Map<string, Kernel>();

function compile(spec: ElementwiseSpec, layout: string, constant: boolean[]): Kernel {
  const key = `${spec.key}|${spec.dtypes.join(',')}|${layout}`;
  let k = cache.get(key);
  if (!k) {
    const used = new Set<number>();
    const bodies = spec.exprs.map((e, i) => store(spec.dtypes[i], emit(e, used)));
    const src =
      layout === 'strided'
        ? stridedSource(bodies, used, spec.inputs.length)
        : flatSource(bodies, used, constant, spec.inputs.length);
    k = new Function('H', `return function kernel(outs, ins, offs, strides, shape, s) {\n${src}\n};`)(
      HELPERS,
    ) as Kernel;
    cache.set(key, k);
  }
  return k;
}

/** Whether a stride list describes a dense row-major layout of `shape`. */
function denseStrides(shape: readonly number[], strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== s) return false;
    s *= shape[i];
  }
  return true;
}

/** Runs an elementwise spec; returns one new array per expression. */
export function elementwise(spec: ElementwiseSpec, alloc: Alloc = jsAlloc): TypedArray[] {
  const n = sizeOfShape(spec.shape);
  const outs = spec.dtypes.map((d) => alloc(d, n));
  if (n === 0) return outs;
  const constant = spec.inputs.map((v) => v.strides.every((s, i) => s === 0 || v.shape[i] === 1));
  const flat = spec.inputs.every((v, k) => constant[k] || denseStrides(v.shape, v.strides));
  const shape = spec.shape.length === 0 ? [1] : spec.shape;
  const strides = spec.inputs.map((v) => (v.strides.length === 0 ? [0] : (v.strides as number[])));
  const kernel = compile(spec, flat ? `flat:${constant.map((c) => (c ? 'c' : 'd')).join('')}` : 'strided', constant);
  kernel(
    outs,
    spec.inputs.map((v) => arr(v.data)),
    spec.inputs.map((v) => v.offset),
    strides,
    shape,
    // JS-number scalars enter as evalExpr says: int32 values exact, others as float32 (eq(t, 0.2) finds float32 0.2).
    spec.scalars.map(scalarValue),
  );
  return outs;
}
