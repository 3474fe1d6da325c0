import { describe, expect, it } from 'vitest';
import { ModuleBuilder, OP, SIMD, sleb, T, uleb } from '../src/wasm/emitter';
import { sizeClass, WasmHeap } from '../src/wasm/heap';

describe('wasm emitter', () => {
  it('encodes LEB128 as the spec examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it('builds a module whose SIMD function runs: out[i..i+3] = a·b + c over a shared memory', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    const m = new ModuleBuilder().importMemory('env', 'memory', 1, 2, true);
    m.func('fma4', [T.i32, T.i32, T.i32, T.i32], [], (c, a, b, cc, out) => {
      c.get(out);
      c.get(a).v128Load().get(b).v128Load().simd(SIMD.f32x4_mul);
      c.get(cc).v128Load().simd(SIMD.f32x4_add);
      c.v128Store();
    });
    // A loop with a local counter: sum of 0..n-1 by the `for` helper.
    m.func('sum', [T.i32], [T.i32], (c, n) => {
      const i = c.local(T.i32);
      const s = c.local(T.i32);
      c.for(i, 0, n, 1, () => c.addLocal(s, i));
      c.get(s);
    });
    const bytes = m.bytes();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as {
      fma4(a: number, b: number, c: number, out: number): void;
      sum(n: number): number;
    };
    const f = new Float32Array(memory.buffer);
    f.set([1, 2, 3, Infinity], 0);
    f.set([4, 5, 6, 0], 4);
    f.set([0.5, -1, NaN, 1], 8);
    ex.fma4(0, 16, 32, 48);
    expect(Array.from(f.subarray(12, 16))).toEqual([4.5, 9, NaN, NaN]);
    expect(ex.sum(10)).toBe(45);
    expect(ex.sum(0)).toBe(0);
    expect(OP.end).toBe(0x0b);
  });
});

describe('wasm heap', () => {
  it('size classes: multiples of 64 bytes, room for a vector past the request, at most 25% above it, monotone', () => {
    let last = 0;
    for (let b = 1; b < 1 << 20; b = Math.ceil(b * 1.07)) {
      const c = sizeClass(b);
      expect(c % 64).toBe(0);
      expect(c).toBeGreaterThanOrEqual(b + 16);
      if (b > 256) expect(c).toBeLessThanOrEqual((b + 16) * 1.25);
      expect(c).toBeGreaterThanOrEqual(last);
      last = c;
    }
  });

  it('reuses a freed block for the next request of its class and keeps old views valid across growth', () => {
    const heap = new WasmHeap(true, 65536);
    const a = heap.alloc('float32', 100) as Float32Array;
    a.fill(3);
    const ptr = a.byteOffset;
    heap.free(a);
    const b = heap.alloc('float32', 98) as Float32Array;
    expect(b.byteOffset).toBe(ptr);
    expect(Array.from(b.subarray(0, 3))).toEqual([0, 0, 0]);
    b.fill(5);
    // Force several grows; b still reads (and writes) the same bytes.
    const big = heap.alloc('int32', 1 << 20);
    expect(heap.memory.buffer.byteLength).toBeGreaterThanOrEqual(4 << 20);
    expect(b[97]).toBe(5);
    b[0] = 6;
    expect(new Float32Array(heap.memory.buffer, ptr, 1)[0]).toBe(6);
    expect(heap.contains(b)).toBe(true);
    expect(heap.contains(big)).toBe(true);
    expect(heap.contains(new Float32Array(4))).toBe(false);
  });

  it('an unshared heap hands out plain arrays (views would detach on growth)', () => {
    const heap = new WasmHeap(false, 65536);
    const a = heap.alloc('int32', 10);
    expect(a).toBeInstanceOf(Int32Array);
    expect(heap.contains(a)).toBe(false);
  });
});
