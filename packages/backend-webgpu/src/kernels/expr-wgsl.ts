import type { DType } from '@tsdl/tensor';
import type { BinaryOp, Expr, UnaryOp } from '@tsdl/tensor/backend';

/**
 * Renders an `Expr` tree as WGSL statements that match `evalExpr`.
 *
 * Each node is typed: 'i' (i32) where every operand is an integer and the op
 * keeps integers integral (add, sub, mul, max, min, neg, abs, sign, rounding,
 * comparisons, logic, where), 'f' (f32) otherwise. So int32 tensors keep all
 * 32 bits through integer arithmetic, as on the CPU, and mixed operands are
 * promoted to f32 as JavaScript promotes them to float64.
 *
 * Shared subtrees (the same object reached twice) are computed once.
 */

export type VType = 'f' | 'i';

export interface Val {
  readonly code: string;
  readonly t: VType;
}

function f32Literal(v: number): string {
  if (Number.isNaN(v)) return 'nan_()';
  if (v === Infinity) return 'inf_()';
  if (v === -Infinity) return 'ninf_()';
  if (Object.is(v, -0)) return 'nzero_()';
  const f = Math.fround(v);
  if (f === Infinity) return 'inf_()';
  if (f === -Infinity) return 'ninf_()';
  const bits = new Uint32Array(new Float32Array([f]).buffer)[0];
  return `bitcast<f32>(0x${bits.toString(16)}u)`;
}

function i32Literal(v: number): string {
  return v === -2147483648 ? 'bitcast<i32>(0x80000000u)' : `i32(${v})`;
}

/** Whether a number is carried as an i32 (an integer in range, not -0). */
export function isIntValue(v: number): boolean {
  return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 && !Object.is(v, -0);
}

const INT_CLOSED_BINARY = new Set<BinaryOp>(['add', 'sub', 'mul', 'max', 'min']);

type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
/** The binary ops computed as float arithmetic (everything but comparisons and logic). */
type ArithOp = Exclude<BinaryOp, CompareOp | 'and' | 'or'>;
// WGSL's operator for each comparison but ne (written as !(==) for NaN).
const CMP: Record<Exclude<CompareOp, 'ne'>, string> = { eq: '==', lt: '<', le: '<=', gt: '>', ge: '>=' };

function isCompare(op: BinaryOp): op is CompareOp {
  return op in CMP || op === 'ne';
}
const INT_CLOSED_UNARY = new Set<UnaryOp>(['neg', 'abs', 'sign', 'floor', 'ceil', 'round']);

export interface ExprContext {
  /** WGSL that reads input k (already typed per `inputType`). */
  input(k: number): string;
  inputType(k: number): VType;
  /** WGSL that reads scalar k (typed per `scalarType`). */
  scalar(k: number): string;
  scalarType(k: number): VType;
}

export class ExprEmitter {
  readonly lines: string[] = [];
  private readonly memo = new Map<Expr, Val>();
  private n = 0;

  constructor(private readonly ctx: ExprContext) {}

  private bind(code: string, t: VType): Val {
    const name = `t${this.n++}`;
    this.lines.push(`let ${name}: ${t === 'f' ? 'f32' : 'i32'} = ${code};`);
    return { code: name, t };
  }

  emit(e: Expr): Val {
    const hit = this.memo.get(e);
    if (hit) return hit;
    const v = this.node(e);
    this.memo.set(e, v);
    return v;
  }

  private node(e: Expr): Val {
    switch (e.kind) {
      case 'input':
        return { code: this.ctx.input(e.index), t: this.ctx.inputType(e.index) };
      case 'scalar':
        return { code: this.ctx.scalar(e.index), t: this.ctx.scalarType(e.index) };
      case 'const':
        return isIntValue(e.value) ? { code: i32Literal(e.value), t: 'i' } : { code: f32Literal(e.value), t: 'f' };
      case 'unary':
        return this.unary(e.op, this.emit(e.a));
      case 'binary':
        return this.binary(e.op, this.emit(e.a), this.emit(e.b));
      case 'where': {
        const c = this.emit(e.cond);
        let a = this.emit(e.a);
        let b = this.emit(e.b);
        const t: VType = a.t === 'i' && b.t === 'i' ? 'i' : 'f';
        a = asType(a, t);
        b = asType(b, t);
        return this.bind(`select(${b.code}, ${a.code}, ${nonzero(c)})`, t);
      }
    }
  }

  private unary(op: UnaryOp, a: Val): Val {
    if (op === 'not') return this.bind(`select(0, 1, ${a.t === 'f' ? `${a.code} == 0.0` : `${a.code} == 0`})`, 'i');
    if (a.t === 'i' && INT_CLOSED_UNARY.has(op)) {
      switch (op) {
        case 'neg':
          return this.bind(`-(${a.code})`, 'i');
        case 'abs':
          return this.bind(`abs(${a.code})`, 'i');
        case 'sign':
          return this.bind(`isign_(${a.code})`, 'i');
        default:
          return a; // floor, ceil, round of an integer
      }
    }
    const x = asType(a, 'f').code;
    const F: Record<Exclude<UnaryOp, 'not'>, string> = {
      neg: `-(${x})`,
      abs: `abs(${x})`,
      exp: `exp_(${x})`,
      expm1: `expm1_(${x})`,
      log: `log_(${x})`,
      log1p: `log1p_(${x})`,
      sqrt: `sqrt_(${x})`,
      rsqrt: `(1.0 / sqrt_(${x}))`,
      sin: `sin_(${x})`,
      cos: `cos_(${x})`,
      tanh: `tanh_(${x})`,
      sigmoid: `sigmoid_(${x})`,
      sign: `fsign_(${x})`,
      floor: `floor(${x})`,
      ceil: `ceil(${x})`,
      round: `round(${x})`, // WGSL's round is half-to-even, as evalExpr
      erf: `erf_(${x})`,
    };
    return this.bind(F[op], 'f');
  }

  private binary(op: BinaryOp, a: Val, b: Val): Val {
    if (op === 'and' || op === 'or') {
      return this.bind(`select(0, 1, ${nonzero(a)} ${op === 'and' ? '&&' : '||'} ${nonzero(b)})`, 'i');
    }
    const t: VType = a.t === 'i' && b.t === 'i' ? 'i' : 'f';
    if (isCompare(op)) {
      const x = asType(a, t).code;
      const y = asType(b, t).code;
      // ne as !(==): with NaN, == is false and so ne is true, as JavaScript's !==.
      const cond = op === 'ne' ? `!(${x} == ${y})` : `${x} ${CMP[op]} ${y}`;
      return this.bind(`select(0, 1, ${cond})`, 'i');
    }
    if (t === 'i' && INT_CLOSED_BINARY.has(op)) {
      const I: Partial<Record<ArithOp, string>> = {
        add: `${a.code} + ${b.code}`,
        sub: `${a.code} - ${b.code}`,
        mul: `${a.code} * ${b.code}`,
        max: `max(${a.code}, ${b.code})`,
        min: `min(${a.code}, ${b.code})`,
      };
      return this.bind(I[op] as string, 'i');
    }
    const x = asType(a, 'f').code;
    const y = asType(b, 'f').code;
    // Every arithmetic op: one without its WGSL form fails tsc.
    const F: Record<ArithOp, string> = {
      add: `${x} + ${y}`,
      sub: `${x} - ${y}`,
      mul: `${x} * ${y}`,
      div: `${x} / ${y}`,
      pow: `pow_(${x}, ${y})`,
      max: `fmax_(${x}, ${y})`,
      min: `fmin_(${x}, ${y})`,
    };
    return this.bind(F[op], 'f');
  }
}

function asType(v: Val, t: VType): Val {
  if (v.t === t) return v;
  return t === 'f' ? { code: `f32(${v.code})`, t } : { code: `toi32_(${v.code})`, t };
}

function nonzero(v: Val): string {
  return v.t === 'f' ? `nz_(${v.code})` : `(${v.code} != 0)`;
}

/** WGSL converting a value to what an output of `dtype` stores (as a typed array store would). */
export function storeAs(v: Val, dtype: DType): string {
  switch (dtype) {
    case 'float32':
      return asType(v, 'f').code;
    case 'int32':
      return asType(v, 'i').code;
    case 'bool':
      return `select(0, 1, ${nonzero(v)})`;
  }
}
