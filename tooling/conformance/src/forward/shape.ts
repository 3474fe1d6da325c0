import * as T from '@tsdl/tensor';
import type { Tensor } from '@tsdl/tensor';
import { expect } from 'vitest';
import {
  type Case,
  type Input,
  LAYOUTS,
  expectRef,
  expectTensor,
  fmt,
  input,
  registerCases,
  sharesStorage,
} from './harness';
import { type Ref, broadcastTo, sizeOf, slice, transpose } from './reference';

/**
 * The view ops (reshape, flatten, squeeze, unsqueeze, transpose/permute,
 * broadcastTo, slice, split): values against references on every input
 * layout, and the storage sharing docs/architecture.md promises ("reshape,
 * transpose, broadcast and slice never reach a backend").
 */

const withShape = (r: Ref, shape: readonly number[]): Ref => ({ shape: shape.slice(), data: r.data });

interface ViewCase {
  name: string;
  shape: readonly number[];
  run: (x: Tensor) => Tensor;
  ref: (x: Ref) => Ref;
}

const VIEW_CASES: readonly ViewCase[] = [
  { name: 'reshape [6,-1]', shape: [2, 3, 4], run: (x) => T.reshape(x, [6, -1]), ref: (x) => withShape(x, [6, 4]) },
  { name: 'reshape [-1]', shape: [2, 3, 4], run: (x) => T.reshape(x, [-1]), ref: (x) => withShape(x, [24]) },
  {
    name: 'reshape [4,-1,2]',
    shape: [2, 3, 4],
    run: (x) => T.reshape(x, [4, -1, 2]),
    ref: (x) => withShape(x, [4, 3, 2]),
  },
  {
    name: 'reshape [1,24,1]',
    shape: [2, 3, 4],
    run: (x) => T.reshape(x, [1, 24, 1]),
    ref: (x) => withShape(x, [1, 24, 1]),
  },
  { name: 'reshape [1] → []', shape: [1], run: (x) => T.reshape(x, []), ref: (x) => withShape(x, []) },
  { name: 'reshape [] → [1,1]', shape: [], run: (x) => T.reshape(x, [1, 1]), ref: (x) => withShape(x, [1, 1]) },
  {
    name: 'reshape size-0 [-1,3]',
    shape: [2, 0, 3],
    run: (x) => T.reshape(x, [-1, 3]),
    ref: (x) => withShape(x, [0, 3]),
  },
  { name: 'flatten', shape: [2, 3, 4], run: (x) => T.flatten(x), ref: (x) => withShape(x, [24]) },
  { name: 'flatten(1)', shape: [2, 3, 4], run: (x) => T.flatten(x, 1), ref: (x) => withShape(x, [2, 12]) },
  { name: 'flatten(0, 1)', shape: [2, 3, 4], run: (x) => T.flatten(x, 0, 1), ref: (x) => withShape(x, [6, 4]) },
  { name: 'flatten(-2, -1)', shape: [2, 3, 4], run: (x) => T.flatten(x, -2, -1), ref: (x) => withShape(x, [2, 12]) },
  { name: 'flatten 0-d', shape: [], run: (x) => T.flatten(x), ref: (x) => withShape(x, [1]) },
  { name: 'squeeze', shape: [1, 3, 1, 2], run: (x) => T.squeeze(x), ref: (x) => withShape(x, [3, 2]) },
  { name: 'squeeze(0)', shape: [1, 3, 1, 2], run: (x) => T.squeeze(x, 0), ref: (x) => withShape(x, [3, 1, 2]) },
  {
    name: 'squeeze([-2, 0])',
    shape: [1, 3, 1, 2],
    run: (x) => T.squeeze(x, [-2, 0]),
    ref: (x) => withShape(x, [3, 2]),
  },
  { name: 'squeeze [1] to 0-d', shape: [1], run: (x) => T.squeeze(x), ref: (x) => withShape(x, []) },
  { name: 'unsqueeze(0)', shape: [3, 2], run: (x) => T.unsqueeze(x, 0), ref: (x) => withShape(x, [1, 3, 2]) },
  { name: 'unsqueeze(1)', shape: [3, 2], run: (x) => T.unsqueeze(x, 1), ref: (x) => withShape(x, [3, 1, 2]) },
  { name: 'unsqueeze(-1)', shape: [3, 2], run: (x) => T.unsqueeze(x, -1), ref: (x) => withShape(x, [3, 2, 1]) },
  { name: 'unsqueeze 0-d', shape: [], run: (x) => T.unsqueeze(x, 0), ref: (x) => withShape(x, [1]) },
  { name: 'transpose (reverse)', shape: [2, 3, 4], run: (x) => T.transpose(x), ref: (x) => transpose(x, [2, 1, 0]) },
  {
    name: 'transpose [1,0,2]',
    shape: [2, 3, 4],
    run: (x) => T.transpose(x, [1, 0, 2]),
    ref: (x) => transpose(x, [1, 0, 2]),
  },
  {
    name: 'transpose [-1,0,1]',
    shape: [2, 3, 4],
    run: (x) => T.transpose(x, [-1, 0, 1]),
    ref: (x) => transpose(x, [2, 0, 1]),
  },
  {
    name: 'permute [0,2,3,1]',
    shape: [2, 1, 3, 2],
    run: (x) => x.permute([0, 2, 3, 1]),
    ref: (x) => transpose(x, [0, 2, 3, 1]),
  },
  { name: '.T of 2-D', shape: [3, 4], run: (x) => x.T, ref: (x) => transpose(x, [1, 0]) },
  { name: 'transpose 0-d', shape: [], run: (x) => T.transpose(x), ref: (x) => x },
  {
    name: 'broadcastTo [3] → [2,3]',
    shape: [3],
    run: (x) => T.broadcastTo(x, [2, 3]),
    ref: (x) => broadcastTo(x, [2, 3]),
  },
  {
    name: 'broadcastTo [2,1] → [2,4]',
    shape: [2, 1],
    run: (x) => T.broadcastTo(x, [2, 4]),
    ref: (x) => broadcastTo(x, [2, 4]),
  },
  {
    name: 'broadcastTo [] → [2,2]',
    shape: [],
    run: (x) => T.broadcastTo(x, [2, 2]),
    ref: (x) => broadcastTo(x, [2, 2]),
  },
  {
    name: 'broadcastTo [2,1,3] → [2,2,4,3]',
    shape: [2, 1, 3],
    run: (x) => T.broadcastTo(x, [2, 2, 4, 3]),
    ref: (x) => broadcastTo(x, [2, 2, 4, 3]),
  },
  {
    name: 'broadcastTo [1,3] → [0,3]',
    shape: [1, 3],
    run: (x) => T.broadcastTo(x, [0, 3]),
    ref: (x) => broadcastTo(x, [0, 3]),
  },
  { name: 'slice [1:4]', shape: [6], run: (x) => T.slice(x, [1], [4]), ref: (x) => slice(x, [1], [4]) },
  { name: 'slice [-3:]', shape: [6], run: (x) => T.slice(x, [-3]), ref: (x) => slice(x, [-3]) },
  { name: 'slice [:-1]', shape: [6], run: (x) => T.slice(x, [null], [-1]), ref: (x) => slice(x, [null], [-1]) },
  {
    name: 'slice [::2]',
    shape: [7],
    run: (x) => T.slice(x, [null], [null], [2]),
    ref: (x) => slice(x, [null], [null], [2]),
  },
  {
    name: 'slice [-8:-1:3]',
    shape: [10],
    run: (x) => T.slice(x, [-8], [-1], [3]),
    ref: (x) => slice(x, [-8], [-1], [3]),
  },
  {
    name: 'slice clamps [-100:100]',
    shape: [5],
    run: (x) => T.slice(x, [-100], [100]),
    ref: (x) => slice(x, [-100], [100]),
  },
  { name: 'slice empty [4:2]', shape: [5], run: (x) => T.slice(x, [4], [2]), ref: (x) => slice(x, [4], [2]) },
  {
    name: 'slice [1:3, -2::2]',
    shape: [4, 5],
    run: (x) => T.slice(x, [1, -2], [3, null], [1, 2]),
    ref: (x) => slice(x, [1, -2], [3, null], [1, 2]),
  },
  {
    name: 'slice [::2, 1:] (fewer axes than rank)',
    shape: [4, 3, 2],
    run: (x) => T.slice(x, [null, 1], [null, null], [2]),
    ref: (x) => slice(x, [null, 1], [null, null], [2]),
  },
  {
    name: 'slice of a slice',
    shape: [6, 5],
    run: (x) => T.slice(T.slice(x, [1, 1], [null, null], [2, 1]), [1, -3], [null, null], [1, 2]),
    ref: (x) => slice(slice(x, [1, 1], [null, null], [2, 1]), [1, -3], [null, null], [1, 2]),
  },
  {
    name: 'slice to size-0 then [2,0,3]',
    shape: [2, 4, 3],
    run: (x) => T.slice(x, [0, 3], [null, 3]),
    ref: (x) => slice(x, [0, 3], [null, 3]),
  },
  {
    name: 'split(3, 1)[1]',
    shape: [2, 6, 2],
    run: (x) => T.split(x, 3, 1)[1],
    ref: (x) => slice(x, [0, 2], [null, 4]),
  },
  {
    name: 'split([1,0,3], -1)[2]',
    shape: [2, 4],
    run: (x) => T.split(x, [1, 0, 3], -1)[2],
    ref: (x) => slice(x, [0, 1]),
  },
  {
    name: 'split([1,0,3], -1)[1] (empty)',
    shape: [2, 4],
    run: (x) => T.split(x, [1, 0, 3], -1)[1],
    ref: (x) => slice(x, [0, 1], [null, 1]),
  },
];

function viewCases(): Case[] {
  const cases: Case[] = [];
  VIEW_CASES.forEach((c, k) => {
    for (const layout of LAYOUTS) {
      if (c.shape.length === 0 && layout !== 'contiguous') continue;
      for (const dtype of ['float32', 'int32'] as const) {
        cases.push({
          name: `${c.name} of ${dtype} ${fmt(c.shape)} ${layout}`,
          run: () => {
            const x: Input = input(c.shape, dtype, 800 + k, layout);
            expectRef(c.run(x.t), c.ref(x.ref), dtype, undefined, c.name);
          },
        });
      }
    }
  });
  return cases;
}

/** Ops that must return a view of their input's storage (metadata only). */
const VIEWS: readonly [string, (x: Tensor) => Tensor][] = [
  ['reshape', (x) => T.reshape(x, [4, 6])],
  ['flatten', (x) => T.flatten(x)],
  ['squeeze', (x) => T.squeeze(T.unsqueeze(x, 0))],
  ['unsqueeze', (x) => T.unsqueeze(x, -1)],
  ['transpose', (x) => T.transpose(x)],
  ['broadcastTo', (x) => T.broadcastTo(x, [3, 2, 3, 4])],
  ['slice', (x) => T.slice(x, [1, -2], [null, null], [1, 2])],
  ['split', (x) => T.split(x, 3, 1)[2]],
  ['cast to the same dtype', (x) => T.cast(x, 'float32')],
  ['detach', (x) => x.detach()],
];

const STORAGE: Case[] = [
  ...VIEWS.map(([name, f]) => ({
    name: `${name} is a view: it shares its input's storage`,
    run: () => {
      const x = T.tensor(
        Array.from({ length: 24 }, (_, i) => i),
        [2, 3, 4],
      );
      expect(sharesStorage(f(x), x)).toBe(true);
    },
  })),
  {
    name: 'a broadcast view has stride 0 on the repeated axes; a slice moves the offset and scales strides',
    run: () => {
      const x = T.tensor([1, 2, 3], [3, 1]);
      expect(T.broadcastTo(x, [2, 3, 4]).strides).toEqual([0, 1, 0]);
      const y = T.tensor(
        Array.from({ length: 20 }, (_, i) => i),
        [4, 5],
      );
      const s = T.slice(y, [1, -4], [null, null], [2, 3]);
      expect(s.offset).toBe(6);
      expect(s.strides).toEqual([10, 3]);
      expectTensor(s, [2, 2], 'float32', [6, 9, 16, 19]);
    },
  },
  {
    name: 'reshape of a non-contiguous tensor copies (its own storage, values in logical order)',
    run: () => {
      const x = T.tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const r = T.reshape(x.T, [6]);
      expect(sharesStorage(r, x)).toBe(false);
      expectTensor(r, [6], 'float32', [1, 4, 2, 5, 3, 6]);
    },
  },
];

const ERRORS: readonly Case[] = [
  {
    name: 'reshape errors: two -1, element counts that differ (ShapeError naming both shapes)',
    run: () => {
      const x = T.zeros([2, 3]);
      expect(() => T.reshape(x, [-1, -1])).toThrow(T.ShapeError);
      expect(() => T.reshape(x, [4, 2])).toThrow(/reshape.*\[2,3\].*\[4,2\]/);
      expect(() => T.reshape(x, [4, -1])).toThrow(T.ShapeError);
    },
  },
  {
    name: 'flatten, squeeze, unsqueeze, transpose: bad axes throw',
    run: () => {
      const x = T.zeros([1, 3, 2]);
      expect(() => T.flatten(x, 2, 1)).toThrow(T.AxisError);
      expect(() => T.squeeze(x, 1)).toThrow(/squeeze.*size 3/);
      expect(() => T.unsqueeze(x, 4)).toThrow(T.AxisError);
      expect(() => T.transpose(x, [0, 0, 1])).toThrow(T.AxisError);
      expect(() => T.transpose(x, [1, 0])).toThrow(T.AxisError);
    },
  },
  {
    name: 'broadcastTo a shape that does not fit throws ShapeError',
    run: () => {
      expect(() => T.broadcastTo(T.zeros([3]), [4])).toThrow(T.ShapeError);
      expect(() => T.broadcastTo(T.zeros([2, 3]), [3])).toThrow(T.ShapeError);
    },
  },
  {
    name: 'slice: non-positive steps throw ArgumentError, too many axes AxisError; split: uneven parts ShapeError',
    run: () => {
      const x = T.zeros([4, 2]);
      expect(() => T.slice(x, [0], [4], [0])).toThrow(T.ArgumentError);
      expect(() => T.slice(x, [3], [0], [-1])).toThrow(T.ArgumentError);
      expect(() => T.slice(x, [0, 0, 0])).toThrow(T.AxisError);
      expect(() => T.split(x, 3)).toThrow(T.ShapeError);
      expect(() => T.split(x, [1, 2])).toThrow(T.ShapeError);
    },
  },
];

/** split returns every part; their concatenation is the input. */
const SPLIT: Case[] = [
  {
    name: 'split into equal parts and into given sizes covers the input in order',
    run: () => {
      const x = input([2, 6], 'float32', 851, 'transposed');
      const parts = T.split(x.t, [2, 1, 3], -1);
      expect(parts.map((p) => p.shape)).toEqual([
        [2, 2],
        [2, 1],
        [2, 3],
      ]);
      parts.forEach((p, i) => expectRef(p, slice(x.ref, [0, [0, 2, 3][i]], [null, [2, 3, 6][i]]), 'float32'));
      const eq = T.split(x.t, 2, 0);
      expect(eq.length).toBe(2);
      expectRef(eq[1], slice(x.ref, [1]), 'float32');
      expect(sizeOf(eq[0].shape)).toBe(6);
    },
  },
];

export function registerShape(): void {
  registerCases('view ops', viewCases());
  registerCases('view ops share storage', STORAGE);
  registerCases('view ops: split', SPLIT);
  registerCases('view op errors', ERRORS);
}
