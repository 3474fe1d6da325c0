import { grad } from '@tsdl/autograd';
import * as T from '@tsdl/tensor';
import { expect } from 'vitest';
import tfjs from '../fixtures/tfjs-windows.json';
import torch from '../fixtures/torch-windows.json';
import { footprint } from '../tensor/helpers';
import { type Case, expectTensor, fmt, input, registerCases } from './harness';

/**
 * resizeNearest and resizeBilinear: TensorFlow.js' answers for every flag
 * combination (up, down, to 1×1, from one pixel), PyTorch's interpolate for
 * the same sampling rules with its input gradients, hand-computed values and
 * bad calls (errors name the op and the argument; nothing is left allocated).
 */

const RESIZE_TOL = { atol: 1e-5, rtol: 1e-5 };

type Fixture = {
  method: string;
  x: number[];
  size: number[];
  alignCorners: boolean;
  halfPixelCenters: boolean;
  xv: number[];
  y: number[];
};

const resizeOf = (c: Fixture) => (c.method === 'nearest' ? T.resizeNearest : T.resizeBilinear);
const outShapeOf = (c: Fixture) => [c.x[0], c.size[0], c.size[1], c.x[3]];
const flagsOf = (c: Fixture) =>
  `${c.alignCorners ? ' alignCorners' : ''}${c.halfPixelCenters ? ' halfPixelCenters' : ''}`;

function fixtureCases(): Case[] {
  const cases: Case[] = [];
  for (const [i, c] of tfjs.resize.entries()) {
    const layout = i % 3 === 0 ? 'transposed' : i % 3 === 1 ? 'sliced' : 'contiguous';
    cases.push({
      name: `resize ${c.method} against TF.js: ${fmt(c.x)} → ${fmt(c.size)}${flagsOf(c)} (${layout}, case ${i})`,
      run: () => {
        const x = input(c.x, 'float32', 0, layout, c.xv);
        const y = resizeOf(c)(x.t, c.size as [number, number], {
          alignCorners: c.alignCorners,
          halfPixelCenters: c.halfPixelCenters,
        });
        expectTensor(y, outShapeOf(c), 'float32', c.y, RESIZE_TOL);
      },
    });
  }
  for (const [i, c] of torch.resize.entries()) {
    cases.push({
      name: `resize ${c.method} against PyTorch's interpolate, value and input gradient: ${fmt(c.x)} → ${fmt(c.size)}${flagsOf(c)} (case ${i})`,
      run: () => {
        const f = (t: T.Tensor) =>
          resizeOf(c)(t, c.size as [number, number], {
            alignCorners: c.alignCorners,
            halfPixelCenters: c.halfPixelCenters,
          });
        const x = T.tensor(c.xv, c.x);
        expectTensor(f(x), outShapeOf(c), 'float32', c.y, RESIZE_TOL);
        const dy = T.tensor(c.dyv, outShapeOf(c));
        const dx = grad((t: T.Tensor) => T.sum(T.mul(f(t), dy)))(x) as T.Tensor;
        expectTensor(dx, c.x, 'float32', c.dx, { atol: 1e-4, rtol: 1e-4 }, 'input gradient');
      },
    });
  }
  return cases;
}

const KNOWN: readonly Case[] = [
  {
    name: 'resizeNearest on known values: 2×2 → 4×4 repeats each pixel; alignCorners and halfPixelCenters pick by their rules',
    run: () => {
      const x = T.tensor([1, 2, 3, 4], [1, 2, 2, 1]);
      expectTensor(
        T.resizeNearest(x, [4, 4]),
        [1, 4, 4, 1],
        'float32',
        [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4],
      );
      // 1×3 → 1×5: legacy floor(o·3/5) = 0,0,1,1,2; alignCorners round(o·2/4) = 0,1,1,2,2 (0.5 rounds up);
      // halfPixelCenters floor((o+0.5)·3/5) = 0,0,1,2,2.
      const row = T.tensor([10, 20, 30], [1, 3, 1]);
      expectTensor(T.resizeNearest(row, [1, 5]), [1, 5, 1], 'float32', [10, 10, 20, 20, 30]);
      expectTensor(T.resizeNearest(row, [1, 5], { alignCorners: true }), [1, 5, 1], 'float32', [10, 20, 20, 30, 30]);
      expectTensor(
        T.resizeNearest(row, [1, 5], { halfPixelCenters: true }),
        [1, 5, 1],
        'float32',
        [10, 10, 20, 30, 30],
      );
      // int32 stays int32.
      expectTensor(T.resizeNearest(T.tensor([1, 2], [1, 2, 1], 'int32'), [1, 4]), [1, 4, 1], 'int32', [1, 1, 2, 2]);
    },
  },
  {
    name: 'resizeBilinear on known values: 1×2 → 1×4 under each sampling rule; int32 in gives float32',
    run: () => {
      const x = T.tensor([0, 1], [1, 1, 2, 1]);
      // Legacy: sources 0, 0.5, 1, 1.5 (clamped to the last pixel).
      expectTensor(T.resizeBilinear(x, [1, 4]), [1, 1, 4, 1], 'float32', [0, 0.5, 1, 1]);
      expectTensor(T.resizeBilinear(x, [1, 4], { alignCorners: true }), [1, 1, 4, 1], 'float32', [0, 1 / 3, 2 / 3, 1]);
      // Half-pixel: sources −0.25, 0.25, 0.75, 1.25, clamped at both ends.
      expectTensor(
        T.resizeBilinear(x, [1, 4], { halfPixelCenters: true }),
        [1, 1, 4, 1],
        'float32',
        [0, 0.25, 0.75, 1],
      );
      const xi = T.tensor([0, 4, 8, 12], [2, 2, 1], 'int32');
      expectTensor(
        T.resizeBilinear(xi, [3, 3], { alignCorners: true }),
        [3, 3, 1],
        'float32',
        [0, 2, 4, 4, 6, 8, 8, 10, 12],
      );
    },
  },
  {
    name: 'resize to the same size is the identity under every rule',
    run: () => {
      const x = input([2, 3, 4, 2], 'float32', 2300);
      for (const opts of [{}, { alignCorners: true }, { halfPixelCenters: true }]) {
        expectTensor(T.resizeBilinear(x.t, [3, 4], opts), [2, 3, 4, 2], 'float32', x.ref.data);
        expectTensor(T.resizeNearest(x.t, [3, 4], opts), [2, 3, 4, 2], 'float32', x.ref.data);
      }
    },
  },
];

interface BadCall {
  name: string;
  call: (x: T.Tensor) => unknown;
  error: typeof T.TsdlError;
  message: RegExp;
  shape?: number[];
}

const BAD: readonly BadCall[] = [
  {
    name: 'both alignCorners and halfPixelCenters',
    call: (x) => T.resizeBilinear(x, [4, 4], { alignCorners: true, halfPixelCenters: true }),
    error: T.ArgumentError,
    message: /^resizeBilinear: alignCorners and halfPixelCenters cannot both be true/,
  },
  {
    name: 'a size of one number',
    call: (x) => T.resizeNearest(x, [4] as unknown as [number, number]),
    error: T.ArgumentError,
    message: /^resizeNearest: size must be \[height, width\], two positive integers, got \[4\]/,
  },
  {
    name: 'a size of 0',
    call: (x) => T.resizeBilinear(x, [0, 3]),
    error: T.ArgumentError,
    message: /^resizeBilinear: size must be \[height, width\], two positive integers, got \[0,3\]/,
  },
  {
    name: 'a 2-D input',
    call: (x) => T.resizeNearest(x, [4, 4]),
    error: T.ShapeError,
    message: /^resizeNearest: x must be NHWC \[N,H,W,C\] or HWC \[H,W,C\], got shape \[2,2\]/,
    shape: [2, 2],
  },
  {
    name: 'an input without pixels',
    call: (x) => T.resizeBilinear(x, [4, 4]),
    error: T.ShapeError,
    message: /^resizeBilinear: x \[1,0,2,1\] has no pixels to resize from/,
    shape: [1, 0, 2, 1],
  },
  {
    name: 'an unknown option',
    call: (x) => T.resizeBilinear(x, [4, 4], { align_corners: true } as T.ResizeOptions),
    error: T.ArgumentError,
    message: /^resizeBilinear: unknown option 'align_corners' \(known: alignCorners, halfPixelCenters\)/,
  },
  {
    name: 'a non-boolean flag',
    call: (x) => T.resizeNearest(x, [4, 4], { alignCorners: 1 as unknown as boolean }),
    error: T.ArgumentError,
    message: /^resizeNearest: option 'alignCorners' must be a boolean, got 1/,
  },
  {
    name: 'a non-tensor input',
    call: () => T.resizeNearest([[1]] as unknown as T.Tensor, [2, 2]),
    error: T.ArgumentError,
    message: /^resizeNearest: argument 1 \(x\) must be a Tensor/,
  },
];

function badCases(): Case[] {
  return BAD.map((b) => ({
    name: `error: ${b.name}`,
    run: () => {
      const x = T.zeros(b.shape ?? [1, 2, 2, 1]);
      const before = footprint();
      let err: unknown;
      try {
        b.call(x);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(b.error);
      expect((err as Error).message).toMatch(b.message);
      expect(footprint()).toEqual(before);
    },
  }));
}

export function registerResize(): void {
  registerCases('resize against TF.js and PyTorch', fixtureCases());
  registerCases('resize on known values', KNOWN);
  registerCases('resize: bad calls', badCases());
}
