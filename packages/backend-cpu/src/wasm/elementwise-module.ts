import type { BinaryOp, Expr, UnaryOp } from '@tsdl/tensor/backend';
import { type Code, type Local, ModuleBuilder, OP, SIMD, T } from './emitter';
import { emitErf, emitExp, emitLog, emitSigmoid, emitTanh } from './simd-math';

/**
 * Generates one wasm SIMD kernel for a list of elementwise expressions, four
 * lanes of float32 at a time, computing each shared subexpression once (Adam's
 * moments feed both their own outputs and the parameter update).
 *
 * The output is walked as [outer, inner] rows. Each input has a mode:
 *   dense  one value per output element
 *   row    a vector of `inner` values repeated for every row (a broadcast bias)
 *   col    one value per row (a broadcast column, e.g. a row maximum)
 *   const  one value for everything
 *   strided  dense rows `rowStrides[0]` elements apart (a gate's block of a wider product)
 *   rows   dense rows anywhere: row o at Σ idx_d(o)·rowStrides[d] over `outerShape` (a permuted view)
 * The last vector of a row may reach up to 3 elements past the row's end: it
 * reads what follows (the heap keeps slack after its last block) and writes
 * values the next row overwrites, or the room every heap block keeps past its
 * request (OVERRUN in heap.ts), so there is no scalar tail loop.
 *
 * Arithmetic is float32 per operation (the JS kernels round once at the end),
 * which is within the conformance tolerances; NaN, ±Infinity and -0 follow
 * IEEE as Math does: wasm min/max propagate NaN and order -0 below +0.
 */

export type InputMode = 'dense' | 'row' | 'col' | 'const' | 'strided' | 'rows';

export interface ElementwiseKernelSpec {
  exprs: readonly Expr[];
  /** Per input: its mode, whether it is bool (uint8, read as 0/1) rather than float32, and for 'strided' its row stride, for 'rows' its outer dims' strides (elements). */
  inputs: readonly { mode: InputMode; bool: boolean; rowStrides?: readonly number[] }[];
  /** The output's dims before the rows, for 'rows' inputs. */
  outerShape?: readonly number[];
  /** Per output: whether it is bool (stored as 0/1 bytes) rather than float32. */
  outputs: readonly boolean[];
  nScalars: number;
}

/** Whether every node of `e` has a SIMD form here (others, like pow or sin, run in the JS kernels). */
export function simdExpressible(e: Expr): boolean {
  switch (e.kind) {
    case 'input':
    case 'const':
    case 'scalar':
      return true;
    case 'unary':
      return UNARY_SIMD.has(e.op) && simdExpressible(e.a);
    case 'binary':
      return e.op !== 'pow' && simdExpressible(e.a) && simdExpressible(e.b);
    case 'where':
      return simdExpressible(e.cond) && simdExpressible(e.a) && simdExpressible(e.b);
  }
}

// The ops with a SIMD form (the others run in the JavaScript kernels): partial by design.
const UNARY_SIMD: ReadonlySet<UnaryOp> = new Set<UnaryOp>([
  'neg',
  'abs',
  'sqrt',
  'rsqrt',
  'floor',
  'ceil',
  'round',
  'sign',
  'not',
  'exp',
  'sigmoid',
  'tanh',
  'log',
  'erf',
]);

/** Unary ops emitted by simd-math.ts from their operand in a local. */
const MATH_UNARY: Partial<Record<UnaryOp, (c: Code, a: Local) => void>> = {
  exp: emitExp,
  sigmoid: emitSigmoid,
  tanh: emitTanh,
  log: emitLog,
  erf: emitErf,
};

const SIMPLE_UNARY: Partial<Record<UnaryOp, number>> = {
  neg: SIMD.f32x4_neg,
  abs: SIMD.f32x4_abs,
  sqrt: SIMD.f32x4_sqrt,
  floor: SIMD.f32x4_floor,
  ceil: SIMD.f32x4_ceil,
  round: SIMD.f32x4_nearest, // ties to even, as roundHalfEven
};

const ARITH: Partial<Record<BinaryOp, number>> = {
  add: SIMD.f32x4_add,
  sub: SIMD.f32x4_sub,
  mul: SIMD.f32x4_mul,
  div: SIMD.f32x4_div,
  max: SIMD.f32x4_max,
  min: SIMD.f32x4_min,
};

const COMPARE: Partial<Record<BinaryOp, number>> = {
  eq: SIMD.f32x4_eq,
  ne: SIMD.f32x4_ne,
  lt: SIMD.f32x4_lt,
  le: SIMD.f32x4_le,
  gt: SIMD.f32x4_gt,
  ge: SIMD.f32x4_ge,
};

/** The kernel module: export `run(outer, inner, scalarsPtr, ...inputPtrs, ...outputPtrs)`. */
export function elementwiseModuleBytes(spec: ElementwiseKernelSpec, shared: boolean): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 0, 65536, shared);
  const nIn = spec.inputs.length;
  const nOut = spec.outputs.length;
  const params = new Array(3 + nIn + nOut).fill(T.i32);
  m.func('run', params, [], (c, outer, inner, sp, ...ptrs) => {
    const inPtr = ptrs.slice(0, nIn);
    const outPtr = ptrs.slice(nIn);
    const inSize = spec.inputs.map((x) => (x.bool ? 1 : 4));
    const outSize = spec.outputs.map((b) => (b ? 1 : 4));
    const o = c.local(T.i32);
    const i = c.local(T.i32);
    const cur = inPtr.map(() => c.local(T.i32));
    const dst = outPtr.map(() => c.local(T.i32));
    const value = spec.inputs.map(() => c.local(T.v128));
    const used = new Set<number>();
    for (const e of spec.exprs) collectInputs(e, used);

    // Loop-invariant vectors: scalars, constants, const inputs.
    const hoisted = new Map<string, Local>();
    const hoist = (key: string, emit: () => void): Local => {
      let l = hoisted.get(key);
      if (l === undefined) {
        l = c.local(T.v128);
        emit();
        c.set(l);
        hoisted.set(key, l);
      }
      return l;
    };
    const one = hoist('c:1', () => c.f32x4Const(1));
    const zero = hoist('c:0', () => c.f32x4Const(0));
    for (let k = 0; k < spec.nScalars; k++) hoist(`s:${k}`, () => c.get(sp).simdMem(SIMD.v128_load32_splat, 2, k * 4));
    const consts: number[] = [];
    for (const e of spec.exprs) collectConsts(e, consts);
    for (const v of consts) hoist(constKey(v), () => c.f32x4Const(v));
    for (const k of used) {
      if (spec.inputs[k].mode !== 'const') continue;
      loadInput(c, inPtr[k], spec.inputs[k].bool, true);
      c.set(value[k]);
    }

    c.for(o, 0, outer, 1, () => {
      // Row starts: dense operands at o·inner, row inputs at their base, col inputs splat their o-th value.
      for (const k of used) {
        const mode = spec.inputs[k].mode;
        if (mode === 'dense')
          c.get(inPtr[k]).get(o).get(inner).op(OP.i32_mul).i32(inSize[k]).op(OP.i32_mul).op(OP.i32_add).set(cur[k]);
        else if (mode === 'strided')
          c.get(inPtr[k])
            .get(o)
            .i32((spec.inputs[k].rowStrides as number[])[0] * inSize[k])
            .op(OP.i32_mul)
            .op(OP.i32_add)
            .set(cur[k]);
        else if (mode === 'rows') {
          // Each outer index from o by a constant division and remainder (a few per row of ≥ 8 elements).
          const outerShape = spec.outerShape as number[];
          const rs = spec.inputs[k].rowStrides as number[];
          c.get(inPtr[k]);
          let after = 1;
          for (let d = outerShape.length - 1; d >= 0; d--) {
            if (outerShape[d] !== 1 && rs[d] !== 0) {
              c.get(o);
              if (after > 1) c.i32(after).op(OP.i32_div_u);
              c.i32(outerShape[d]).op(OP.i32_rem_u);
              c.i32(rs[d] * inSize[k])
                .op(OP.i32_mul)
                .op(OP.i32_add);
            }
            after *= outerShape[d];
          }
          c.set(cur[k]);
        } else if (mode === 'row') c.get(inPtr[k]).set(cur[k]);
        else if (mode === 'col') {
          c.get(inPtr[k]).get(o).i32(inSize[k]).op(OP.i32_mul).op(OP.i32_add);
          loadInput(c, -1, spec.inputs[k].bool, true);
          c.set(value[k]);
        }
      }
      for (let j = 0; j < nOut; j++)
        c.get(outPtr[j]).get(o).get(inner).op(OP.i32_mul).i32(outSize[j]).op(OP.i32_mul).op(OP.i32_add).set(dst[j]);

      c.for(i, 0, inner, 4, () => {
        for (const k of used) {
          const mode = spec.inputs[k].mode;
          if (mode === 'dense' || mode === 'row' || mode === 'strided' || mode === 'rows') {
            loadInput(c, cur[k], spec.inputs[k].bool, false);
            c.set(value[k]);
          }
        }
        const memo = new Map<string, Local>();
        const ctx: EmitCtx = { c, value, hoisted, memo, one, zero };
        const results = spec.exprs.map((e) => {
          emitExpr(ctx, e);
          const l = c.local(T.v128);
          c.set(l);
          return l;
        });
        for (let j = 0; j < nOut; j++) {
          if (spec.outputs[j]) {
            // bool: lanes != 0 (NaN included) become 1, narrowed to four bytes.
            c.get(dst[j]).get(results[j]).get(zero).simd(SIMD.f32x4_ne);
            c.i32x4Const(1).simd(SIMD.v128_and);
            c.tee(results[j]).get(results[j]).simd(SIMD.i16x8_narrow_i32x4_u);
            c.tee(results[j]).get(results[j]).simd(SIMD.i8x16_narrow_i16x8_u);
            c.simd(SIMD.v128_store32_lane, 0, 0, 0); // memarg align 0, offset 0; lane 0
          } else {
            c.get(dst[j]).get(results[j]).v128Store();
          }
        }
        for (const k of used) {
          const mode = spec.inputs[k].mode;
          if (mode === 'dense' || mode === 'row' || mode === 'strided' || mode === 'rows')
            c.addTo(cur[k], 4 * inSize[k]);
        }
        for (let j = 0; j < nOut; j++) c.addTo(dst[j], 4 * outSize[j]);
      });
    });
  });
  return m.bytes();
}

function constKey(v: number): string {
  return Object.is(v, -0) ? 'c:-0' : `c:${v}`;
}

function collectConsts(e: Expr, into: number[]): void {
  switch (e.kind) {
    case 'const':
      into.push(e.value);
      return;
    case 'input':
    case 'scalar':
      return;
    case 'unary':
      return collectConsts(e.a, into);
    case 'binary':
      collectConsts(e.a, into);
      return collectConsts(e.b, into);
    case 'where':
      collectConsts(e.cond, into);
      collectConsts(e.a, into);
      return collectConsts(e.b, into);
  }
}

function collectInputs(e: Expr, into: Set<number>): void {
  switch (e.kind) {
    case 'input':
      into.add(e.index);
      return;
    case 'const':
    case 'scalar':
      return;
    case 'unary':
      return collectInputs(e.a, into);
    case 'binary':
      collectInputs(e.a, into);
      return collectInputs(e.b, into);
    case 'where':
      collectInputs(e.cond, into);
      collectInputs(e.a, into);
      return collectInputs(e.b, into);
  }
}

/**
 * Pushes four lanes of an input as f32x4: a vector load, or a splat for
 * `splat`; bool bytes widen to 0.0/1.0. `ptr` -1 means the address is already
 * on the stack.
 */
function loadInput(c: Code, ptr: Local, bool: boolean, splat: boolean): void {
  if (ptr >= 0) c.get(ptr);
  if (!bool) {
    if (splat) c.simdMem(SIMD.v128_load32_splat, 2, 0);
    else c.v128Load();
    return;
  }
  if (splat) {
    // One byte splat to all lanes as a float: load it as an i32 and convert.
    c.mem(OP.i32_load8_u, 0, 0).op(OP.f32_convert_i32_u).simd(SIMD.f32x4_splat);
    return;
  }
  c.simdMem(SIMD.v128_load32_zero, 0, 0);
  c.simd(SIMD.i16x8_extend_low_i8x16_u).simd(SIMD.i32x4_extend_low_i16x8_u).simd(SIMD.f32x4_convert_i32x4_u);
}

interface EmitCtx {
  c: Code;
  value: Local[];
  hoisted: Map<string, Local>;
  memo: Map<string, Local>;
  one: Local;
  zero: Local;
}

/** Memo key of a subexpression (exprKey's text, enough to identify it within one kernel). */
function key(e: Expr): string {
  switch (e.kind) {
    case 'input':
      return `$${e.index}`;
    case 'const':
      return Object.is(e.value, -0) ? 'c-0' : `c${e.value}`;
    case 'scalar':
      return `#${e.index}`;
    case 'unary':
      return `${e.op}(${key(e.a)})`;
    case 'binary':
      return `${e.op}(${key(e.a)},${key(e.b)})`;
    case 'where':
      return `where(${key(e.cond)},${key(e.a)},${key(e.b)})`;
  }
}

/** Pushes the f32x4 value of `e`, computing each distinct subexpression once per iteration. */
function emitExpr(x: EmitCtx, e: Expr): void {
  const { c } = x;
  switch (e.kind) {
    case 'input':
      c.get(x.value[e.index]);
      return;
    case 'scalar':
      c.get(x.hoisted.get(`s:${e.index}`) as Local);
      return;
    case 'const':
      c.get(x.hoisted.get(constKey(e.value)) as Local);
      return;
  }
  const k = key(e);
  const seen = x.memo.get(k);
  if (seen !== undefined) {
    c.get(seen);
    return;
  }
  const l = computeInto(x, e);
  x.memo.set(k, l);
  c.get(l);
}

/** Evaluates `e` (not a leaf) into a new local. */
function computeInto(x: EmitCtx, e: Expr): Local {
  const { c } = x;
  const out = c.local(T.v128);
  /** The operand as a local, for ops that read it more than once. */
  const asLocal = (a: Expr): Local => {
    emitExpr(x, a);
    const l = c.local(T.v128);
    c.set(l);
    return l;
  };
  /** mask (all-ones lanes) → 1.0 / 0.0 */
  const maskToOne = () => c.get(x.one).simd(SIMD.v128_and);
  /** lanes != 0 (NaN counts as true, as `v !== 0` in JS) */
  const truthy = (a: Expr) => {
    emitExpr(x, a);
    c.get(x.zero).simd(SIMD.f32x4_ne);
  };
  if (e.kind === 'unary') {
    const op = e.op;
    const simple = SIMPLE_UNARY[op];
    const math = MATH_UNARY[op];
    if (simple !== undefined) {
      emitExpr(x, e.a);
      c.simd(simple);
    } else if (math !== undefined) {
      math(c, asLocal(e.a));
    } else if (op === 'rsqrt') {
      c.get(x.one);
      emitExpr(x, e.a);
      c.simd(SIMD.f32x4_sqrt).simd(SIMD.f32x4_div);
    } else if (op === 'not') {
      emitExpr(x, e.a);
      c.get(x.zero).simd(SIMD.f32x4_eq);
      maskToOne();
    } else if (op === 'sign') {
      // x > 0 ? 1 : x < 0 ? -1 : x (keeps 0, -0 and NaN)
      const a = asLocal(e.a);
      c.get(x.one);
      c.f32x4Const(-1).get(a).get(a).get(x.zero).simd(SIMD.f32x4_lt).simd(SIMD.v128_bitselect);
      c.get(a).get(x.zero).simd(SIMD.f32x4_gt).simd(SIMD.v128_bitselect);
    } else {
      throw new Error(`wasm elementwise: no SIMD form for ${op}`);
    }
  } else if (e.kind === 'binary') {
    const op = e.op;
    const arith = ARITH[op];
    const compare = COMPARE[op];
    if (arith !== undefined) {
      emitExpr(x, e.a);
      emitExpr(x, e.b);
      c.simd(arith);
    } else if (compare !== undefined) {
      emitExpr(x, e.a);
      emitExpr(x, e.b);
      c.simd(compare);
      maskToOne();
    } else if (op === 'and' || op === 'or') {
      truthy(e.a);
      truthy(e.b);
      c.simd(op === 'and' ? SIMD.v128_and : SIMD.v128_or);
      maskToOne();
    } else {
      throw new Error(`wasm elementwise: no SIMD form for ${op}`);
    }
  } else if (e.kind === 'where') {
    emitExpr(x, e.a);
    emitExpr(x, e.b);
    truthy(e.cond);
    c.simd(SIMD.v128_bitselect);
  }
  c.set(out);
  return out;
}
