import { ShapeError, add, arange, memory, setBackend, tidy, zeros } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { cpu } from '../src/index';
import { WasmHeap, sizeClass } from '../src/wasm/heap';

/**
 * The CPU backend's storage limit (Backend.maxElements): the largest block its shared
 * WebAssembly memory can ever serve, so a tensor larger than that is refused at once,
 * before a host array is built. zeros([40000, 40000]) (6.4 GB of float32) used to spend
 * about 28 s and 6 GB filling a host array, then fail with a RangeError.
 */

describe('cpu backend: the largest tensor it can hold', () => {
  it('is the largest size class that fits the wasm memory with its reserved bytes', () => {
    const heap = new WasmHeap(true);
    const max = heap.maxRequestBytes();
    const memoryMax = 2 ** 32; // the 4 GiB maximum a shared memory gets in Node
    // Its size class (with the kernels' overrun room) fits the memory; one more byte does not.
    expect(64 + sizeClass(max) + 64).toBeLessThanOrEqual(memoryMax);
    expect(64 + sizeClass(max + 1) + 64).toBeGreaterThan(memoryMax);
    expect(max).toBe(3.5 * 2 ** 30 - 16);
  });

  it("maxElements counts elements of each dtype, and storage in plain arrays gets a typed array's 2^32 bytes", () => {
    const b = cpu({ name: 'cpu-limits' });
    expect(b.maxElements('float32')).toBe(Math.floor((3.5 * 2 ** 30 - 16) / 4));
    expect(b.maxElements('int32')).toBe(Math.floor((3.5 * 2 ** 30 - 16) / 4));
    expect(b.maxElements('bool')).toBe(3.5 * 2 ** 30 - 16);
    const plain = cpu({ name: 'cpu-limits-plain', sharedMemory: false });
    expect(plain.maxElements('float32')).toBe(2 ** 30);
    expect(plain.maxElements('bool')).toBe(2 ** 32);
  });

  // The message comes from the frontend's size check, which runs before any host array or storage exists.
  it('refuses zeros([40000, 40000]) at once, leaving no tensor or storage', () => {
    const b = setBackend(cpu());
    const before = memory();
    expect(() => zeros([40000, 40000])).toThrow(ShapeError);
    expect(() => zeros([40000, 40000])).toThrow(
      /^zeros: shape \[40000,40000\] has 1600000000 elements \(6\.4 GB of float32\), more than backend 'cpu' can hold in one tensor \(at most 939524092 float32 elements\)$/,
    );
    expect(() => arange(0, 1e10)).toThrow(/^arange: shape \[10000000000\] has 10000000000 elements/);
    expect(() => tidy(() => add(zeros([40000, 1]), zeros([1, 40000])))).toThrow(
      /^add: shape \[40000,40000\] has 1600000000 elements/,
    );
    expect(memory().numTensors).toBe(before.numTensors);
    expect(b.memory()).toEqual(before.backends.cpu);
  });
});
