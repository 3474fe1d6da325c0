import { EXTERNAL, OP, SECTION, SIMD, SIMD_PREFIX, T, VOID_BLOCK, type ValType } from './opcodes';

/**
 * A tiny WebAssembly binary emitter: enough to write kernel modules by hand
 * at run time (types, one imported memory, functions with locals, exports),
 * with no external toolchain. `Code` appends instructions; `ModuleBuilder`
 * lays out the sections. The encoding follows the core spec's binary format
 * (LEB128 integers, length-prefixed sections and function bodies).
 */

/** Unsigned LEB128. */
export function uleb(n: number, out: number[] = []): number[] {
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number, out: number[] = []): number[] {
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function name(s: string, out: number[]): void {
  const bytes = new TextEncoder().encode(s);
  uleb(bytes.length, out);
  for (const b of bytes) out.push(b);
}

/** A local variable or parameter index, typed for readability. */
export type Local = number;

/** Instruction stream of one function body. Methods append and return `this` so code reads top to bottom. */
export class Code {
  readonly bytes: number[] = [];
  private readonly localTypes: ValType[] = [];
  private depth = 0;

  constructor(private readonly nParams: number) {}

  /** Declares a new local of `type`; returns its index. */
  local(type: ValType): Local {
    this.localTypes.push(type);
    return this.nParams + this.localTypes.length - 1;
  }

  op(...bytes: number[]): this {
    for (const b of bytes) this.bytes.push(b);
    return this;
  }

  get(l: Local): this {
    return this.op(OP.local_get, ...uleb(l));
  }

  set(l: Local): this {
    return this.op(OP.local_set, ...uleb(l));
  }

  tee(l: Local): this {
    return this.op(OP.local_tee, ...uleb(l));
  }

  i32(v: number): this {
    return this.op(OP.i32_const, ...sleb(v));
  }

  f32(v: number): this {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    return this.op(OP.f32_const, ...b);
  }

  call(fn: number): this {
    return this.op(OP.call, ...uleb(fn));
  }

  /** A memory access with its memarg: `align` is log2 of the byte alignment hint, `offset` a constant byte offset. */
  mem(opcode: number, align: number, offset = 0): this {
    return this.op(opcode, ...uleb(align), ...uleb(offset));
  }

  /** A SIMD instruction (0xfd prefix, LEB128 opcode) followed by raw immediate bytes. */
  simd(opcode: number, ...imm: number[]): this {
    return this.op(SIMD_PREFIX, ...uleb(opcode), ...imm);
  }

  /** A SIMD memory access with a memarg. */
  simdMem(opcode: number, align: number, offset = 0): this {
    return this.op(SIMD_PREFIX, ...uleb(opcode), ...uleb(align), ...uleb(offset));
  }

  v128Load(offset = 0): this {
    return this.simdMem(SIMD.v128_load, 0, offset);
  }

  v128Store(offset = 0): this {
    return this.simdMem(SIMD.v128_store, 0, offset);
  }

  f32Load(offset = 0): this {
    return this.mem(OP.f32_load, 2, offset);
  }

  f32Store(offset = 0): this {
    return this.mem(OP.f32_store, 2, offset);
  }

  /** `v128.const` with four i32 lanes. */
  i32x4Const(a: number, b = a, c = a, d = a): this {
    const bytes = new Uint8Array(new Int32Array([a, b, c, d]).buffer);
    return this.simd(SIMD.v128_const, ...bytes);
  }

  /** `v128.const` with four f32 lanes. */
  f32x4Const(a: number, b = a, c = a, d = a): this {
    const bytes = new Uint8Array(new Float32Array([a, b, c, d]).buffer);
    return this.simd(SIMD.v128_const, ...bytes);
  }

  /** l += a constant (i32). */
  addTo(l: Local, delta: number): this {
    return this.get(l).i32(delta).op(OP.i32_add).set(l);
  }

  /** l += another local (i32). */
  addLocal(l: Local, delta: Local): this {
    return this.get(l).get(delta).op(OP.i32_add).set(l);
  }

  /** A block; `br(0)` inside `body` (at its own depth) leaves it. */
  block(body: () => void): this {
    this.op(OP.block, VOID_BLOCK);
    this.depth++;
    body();
    this.depth--;
    return this.op(OP.end);
  }

  /** A loop; `br(0)` inside `body` (at its own depth) jumps back to the start. */
  loop(body: () => void): this {
    this.op(OP.loop, VOID_BLOCK);
    this.depth++;
    body();
    this.depth--;
    return this.op(OP.end);
  }

  /** if (top of stack) { then } else { otherwise }. */
  if(then: () => void, otherwise?: () => void): this {
    this.op(OP.if, VOID_BLOCK);
    this.depth++;
    then();
    if (otherwise) {
      this.op(OP.else);
      otherwise();
    }
    this.depth--;
    return this.op(OP.end);
  }

  br(label: number): this {
    return this.op(OP.br, ...uleb(label));
  }

  brIf(label: number): this {
    return this.op(OP.br_if, ...uleb(label));
  }

  /**
   * for (i = start; i < end; i += step) body(): `start` a constant (null: i
   * as it is), `end` an i32 local. The test is at the top, so zero trips run nothing.
   */
  for(i: Local, start: number | null, end: Local, step: number, body: () => void): this {
    if (start !== null) this.i32(start).set(i);
    return this.block(() => {
      this.loop(() => {
        this.get(i).get(end).op(OP.i32_ge_s).brIf(1);
        body();
        this.addTo(i, step).br(0);
      });
    });
  }

  /** The encoded body: local declarations (one group per local, simplest valid form) then the code. */
  encode(): number[] {
    const out: number[] = [];
    uleb(this.localTypes.length, out);
    for (const t of this.localTypes) out.push(1, t);
    for (const b of this.bytes) out.push(b);
    out.push(OP.end);
    if (this.depth !== 0) throw new Error(`wasm emitter: unbalanced blocks (depth ${this.depth})`);
    const body: number[] = [];
    uleb(out.length, body);
    return body.concat(out);
  }
}

interface FuncDef {
  type: number;
  code: Code;
  exportName?: string;
}

/** Lays out a module: one imported memory, functions, exports. */
export class ModuleBuilder {
  private readonly types: string[] = [];
  private readonly typeBytes: number[][] = [];
  private readonly funcs: FuncDef[] = [];
  private memory: { module: string; field: string; min: number; max?: number; shared: boolean } | null = null;

  /** Imports a memory as `module.field`; shared memories need a maximum. */
  importMemory(module: string, field: string, min: number, max: number | undefined, shared: boolean): this {
    this.memory = { module, field, min, max, shared };
    return this;
  }

  private type(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `${params.join(',')}->${results.join(',')}`;
    let i = this.types.indexOf(key);
    if (i < 0) {
      i = this.types.length;
      this.types.push(key);
      const b = [0x60];
      uleb(params.length, b);
      b.push(...params);
      uleb(results.length, b);
      b.push(...results);
      this.typeBytes.push(b);
    }
    return i;
  }

  /**
   * Adds a function; `build` receives the code builder and the parameter locals
   * (0..params.length-1). Returns the function index for `call`. Functions may
   * call only functions added before them unless the index is reserved first.
   */
  func(
    exportName: string | undefined,
    params: readonly ValType[],
    results: readonly ValType[],
    build: (c: Code, ...p: Local[]) => void,
  ): number {
    const code = new Code(params.length);
    const index = this.funcs.length;
    this.funcs.push({ type: this.type(params, results), code, exportName });
    build(code, ...params.map((_, i) => i));
    return index;
  }

  /** The module bytes. */
  bytes(): Uint8Array<ArrayBuffer> {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, content: number[]) => {
      out.push(id);
      uleb(content.length, out);
      for (const b of content) out.push(b);
    };
    const types: number[] = [];
    uleb(this.typeBytes.length, types);
    for (const t of this.typeBytes) types.push(...t);
    section(SECTION.type, types);
    if (this.memory) {
      const m = this.memory;
      const imp: number[] = [];
      uleb(1, imp);
      name(m.module, imp);
      name(m.field, imp);
      imp.push(EXTERNAL.memory);
      // Limits flag: 0 = min only, 1 = min and max, 3 = shared with min and max.
      imp.push(m.shared ? 0x03 : m.max === undefined ? 0x00 : 0x01);
      uleb(m.min, imp);
      if (m.max !== undefined) uleb(m.max, imp);
      section(SECTION.import, imp);
    }
    const fns: number[] = [];
    uleb(this.funcs.length, fns);
    for (const f of this.funcs) uleb(f.type, fns);
    section(SECTION.function, fns);
    const exported = this.funcs.map((f, i) => [f, i] as const).filter(([f]) => f.exportName !== undefined);
    const exp: number[] = [];
    uleb(exported.length, exp);
    for (const [f, i] of exported) {
      name(f.exportName as string, exp);
      exp.push(EXTERNAL.func);
      uleb(i, exp);
    }
    section(SECTION.export, exp);
    const code: number[] = [];
    uleb(this.funcs.length, code);
    for (const f of this.funcs) {
      const body = f.code.encode();
      for (const b of body) code.push(b);
    }
    section(SECTION.code, code);
    return new Uint8Array(out);
  }
}

export { T, OP, SIMD };
