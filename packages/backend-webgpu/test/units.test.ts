import { E } from '@tsdl/tensor/backend';
import { describe, expect, it } from 'vitest';
import { sizeClass } from '../src/buffers';
import { noAdapterMessage } from '../src/device';
import { ExprEmitter, isIntValue, storeAs } from '../src/kernels/expr-wgsl';
import { grid, isSoftwareAdapter } from '../src/runtime';
import { f32bits } from '../src/wgsl';

/** The parts of the backend that need no GPU: pooling classes, dispatch grids, WGSL typing, messages. */

describe('webgpu backend helpers (no GPU needed)', () => {
  it('pools buffers in size classes of at most 25% slack, at least 256 bytes', () => {
    expect(sizeClass(1)).toBe(256);
    expect(sizeClass(256)).toBe(256);
    expect(sizeClass(257)).toBe(320);
    expect(sizeClass(1000)).toBe(1024);
    expect(sizeClass(1025)).toBe(1280);
    let prev = 0;
    for (let b = 1; b < 1 << 20; b = Math.ceil(b * 1.37) + 3) {
      const c = sizeClass(b);
      expect(c).toBeGreaterThanOrEqual(b);
      expect(c % 4).toBe(0);
      if (b > 256) expect(c / b).toBeLessThanOrEqual(1.25);
      expect(c).toBeGreaterThanOrEqual(prev);
      prev = c;
    }
  });

  it('tells CPU Vulkan drivers from GPUs by their adapter info', () => {
    const info = (o: Partial<GPUAdapterInfo>) =>
      ({ vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false, ...o }) as GPUAdapterInfo;
    expect(isSoftwareAdapter(info({ isFallbackAdapter: true }))).toBe(true);
    expect(
      isSoftwareAdapter(
        info({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' }),
      ),
    ).toBe(true);
    expect(isSoftwareAdapter(info({ description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }))).toBe(true);
    expect(
      isSoftwareAdapter(info({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' })),
    ).toBe(false);
    expect(isSoftwareAdapter(undefined)).toBe(false);
  });

  it('splits a dispatch over x and y without exceeding the per-dimension limit', () => {
    for (const n of [1, 65535, 65536, 70000 * 3, 1e7]) {
      const [x, y, z] = grid(n);
      expect(x * y * z).toBeGreaterThanOrEqual(n);
      expect(x).toBeLessThanOrEqual(65535);
      expect(y).toBeLessThanOrEqual(65535);
      expect(x * y - n).toBeLessThan(y); // over-dispatch below one row
    }
  });

  it('types expressions: integer arithmetic stays i32, division and float functions go to f32', () => {
    const emitter = new ExprEmitter({
      input: (k) => `x${k}`,
      inputType: () => 'i',
      scalar: (k) => `s${k}`,
      scalarType: () => 'f',
    });
    expect(emitter.emit(E.add(E.in(0), E.c(3))).t).toBe('i');
    expect(emitter.emit(E.div(E.in(0), E.in(1))).t).toBe('f');
    expect(emitter.emit(E.u('exp', E.in(0))).t).toBe('f');
    expect(emitter.emit(E.add(E.in(0), E.s(0))).t).toBe('f');
    expect(emitter.emit(E.b('lt', E.in(0), E.c(0.5))).t).toBe('i');
  });

  it('computes a shared subexpression once', () => {
    const emitter = new ExprEmitter({
      input: (k) => `x${k}`,
      inputType: () => 'f',
      scalar: (k) => `s${k}`,
      scalarType: () => 'f',
    });
    const shared = E.u('exp', E.in(0));
    emitter.emit(E.add(shared, E.mul(shared, shared)));
    expect(emitter.lines.filter((l) => l.includes('exp_(')).length).toBe(1);
  });

  it('stores values with the output dtype conversion', () => {
    expect(storeAs({ code: 'v', t: 'f' }, 'int32')).toBe('toi32_(v)');
    expect(storeAs({ code: 'v', t: 'i' }, 'float32')).toBe('f32(v)');
    expect(storeAs({ code: 'v', t: 'f' }, 'bool')).toBe('select(0, 1, nz_(v))');
  });

  it('carries integers in range (not -0) as i32 and float32 values as their bits', () => {
    expect([3, -2147483648, 2147483647].every(isIntValue)).toBe(true);
    expect([0.5, -0, 2147483648, NaN, Infinity].some(isIntValue)).toBe(false);
    expect(f32bits(1)).toBe(0x3f800000);
    expect(f32bits(-2)).toBe(0xc0000000);
  });

  it('says what to install when Node finds no adapter', () => {
    const msg = noAdapterMessage();
    expect(msg).toMatch(/apt-get install -y libvulkan1 chromium/);
    expect(msg).toMatch(/VK_ICD_FILENAMES=\/usr\/lib\/chromium\/vk_swiftshader_icd\.json/);
    expect(msg).toMatch(/cpu\(\) from @tsdl\/backend-cpu/);
  });
});
