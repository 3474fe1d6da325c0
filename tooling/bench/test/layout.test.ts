import { describe, expect, it } from 'vitest';
import { hwioToOihw, nhwcRowsToNchw } from '../src/work/cnn/layout';
import { matmulProbe, probeValues } from '../src/work/matmul/reference';
import { repeat } from '../src/run/repeat';
import { errorCell } from '../src/run/outcome';

describe('weight layouts for jax-js', () => {
  it('hwioToOihw moves element [y, x, i, o] to [o, i, y, x]', () => {
    const [kh, kw, cin, cout] = [2, 3, 2, 4];
    const w = Float32Array.from({ length: kh * kw * cin * cout }, (_, n) => n);
    const out = hwioToOihw(w, kh, kw, cin, cout);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < cin; i++)
          for (let o = 0; o < cout; o++)
            expect(out[((o * cin + i) * kh + y) * kw + x]).toBe(w[((y * kw + x) * cin + i) * cout + o]);
  });

  it('nhwcRowsToNchw makes an NCHW-flattened input meet the same dense weights', () => {
    const [h, w, c, units] = [2, 3, 4, 5];
    const map = Float32Array.from({ length: h * w * c }, (_, n) => Math.sin(n + 1));
    const kernel = Float32Array.from({ length: h * w * c * units }, (_, n) => Math.cos(n));
    const nhwc = map; // element (y, x, ch) at (y·w + x)·c + ch
    const nchw = new Float32Array(map.length);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) nchw[ch * h * w + y * w + x] = nhwc[(y * w + x) * c + ch];
    const moved = nhwcRowsToNchw(kernel, h, w, c, units);
    for (let u = 0; u < units; u++) {
      let a = 0;
      let b = 0;
      for (let r = 0; r < map.length; r++) {
        a += nhwc[r] * kernel[r * units + u];
        b += nchw[r] * moved[r * units + u];
      }
      expect(b).toBeCloseTo(a, 5);
    }
  });
});

describe('matmul probe', () => {
  it('computes sampled entries of A·B in float64 and reads them from a result', () => {
    const n = 3;
    const a = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const b = Float32Array.from([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    const c = [30, 24, 18, 84, 69, 54, 138, 114, 90];
    const probe = matmulProbe(a, b, n, 10);
    expect(Array.from(probe.values)).toEqual(Array.from(probe.rows, (i, s) => c[i * n + probe.cols[s]]));
    expect(Array.from(probeValues(c, n, probe))).toEqual(Array.from(probe.values));
  });
});

describe('repeat', () => {
  const calls = (secs: number[]) => {
    let i = 0;
    return { call: async () => secs[i++], count: () => i };
  };

  it('discards the warm-up and runs minRuns..maxRuns within the budget', async () => {
    const c = calls([9, 1, 3, 2, 5, 5, 5]);
    const s = await repeat(c.call, { minRuns: 3, maxRuns: 10, budgetSeconds: 4 });
    expect(s.seconds).toEqual([1, 3, 2]);
    expect(s.median).toBe(2);
    expect(s.warmupOnly).toBe(false);
  });

  it('keeps going past minRuns until the budget is spent, stopping at maxRuns', async () => {
    const c = calls([0, 1, 1, 1, 1, 1, 1]);
    expect((await repeat(c.call, { minRuns: 2, maxRuns: 4, budgetSeconds: 100 })).seconds).toEqual([1, 1, 1, 1]);
  });

  it('takes a warm-up slower than soloSeconds as the only sample', async () => {
    const c = calls([30, 1]);
    const s = await repeat(c.call, { minRuns: 3, maxRuns: 10, budgetSeconds: 4, soloSeconds: 10 });
    expect(s).toEqual({ seconds: [30], median: 30, warmupOnly: true });
    expect(c.count()).toBe(1);
  });
});

describe('errorCell', () => {
  it("calls a missing kernel 'unsupported' and anything else 'failed'", () => {
    expect(errorCell(new Error("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"))).toEqual({
      kind: 'unsupported',
      reason: "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'",
    });
    expect(errorCell(new Error('out of memory\n  at x'))).toEqual({ kind: 'failed', reason: 'out of memory' });
  });
});
