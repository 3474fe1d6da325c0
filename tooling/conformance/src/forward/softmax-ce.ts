import * as T from '@tsdl/tensor';
import { softmaxCrossEntropyGrad } from '@tsdl/tensor/internal';
import { expect } from 'vitest';
import {
  type Case,
  type Layout,
  afterReadRejects,
  expectTensor,
  fmt,
  input,
  registerCases,
  seededFor,
} from './harness';

/**
 * softmaxCrossEntropy and its logits gradient kernel against float64 loops:
 * index and probability labels, every memory layout, logits of ±1e4 (where a
 * naive exp overflows), N = 0 rows, C = 1, the lowering run on a backend
 * without the fused kernels, and the argument errors.
 */

interface Rows {
  n: number;
  c: number;
  x: readonly number[];
}

/** Per row: max and log Σ exp(x − max), in float64. */
function lse(r: Rows, i: number): number {
  const row = r.x.slice(i * r.c, (i + 1) * r.c);
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
}

/** Dense target rows: one-hot for indices, else the labels. */
function targets(r: Rows, labels: readonly number[], sparse: boolean): number[] {
  if (!sparse) return labels.slice();
  const t = new Array<number>(r.n * r.c).fill(0);
  labels.forEach((y, i) => (t[i * r.c + y] = 1));
  return t;
}

function refLoss(r: Rows, labels: readonly number[], sparse: boolean): number[] {
  const t = targets(r, labels, sparse);
  const out: number[] = [];
  for (let i = 0; i < r.n; i++) {
    const l = lse(r, i);
    let acc = 0;
    for (let j = 0; j < r.c; j++) acc += t[i * r.c + j] * (l - r.x[i * r.c + j]);
    out.push(acc);
  }
  return out;
}

function refGrad(r: Rows, labels: readonly number[], sparse: boolean, dy: readonly number[]): number[] {
  const t = targets(r, labels, sparse);
  const out: number[] = [];
  for (let i = 0; i < r.n; i++) {
    const l = lse(r, i);
    let st = 0;
    for (let j = 0; j < r.c; j++) st += t[i * r.c + j];
    for (let j = 0; j < r.c; j++) out.push((Math.exp(r.x[i * r.c + j] - l) * st - t[i * r.c + j]) * dy[i]);
  }
  return out;
}

/** Seeded labels: class indices in [0, c), or rows of positive weights summing to 1. */
function labelValues(n: number, c: number, sparse: boolean, seed: number): number[] {
  if (sparse) return seededFor('float32', n, seed, 0, c).map((v) => Math.min(c - 1, Math.floor(v)));
  const w = seededFor('float32', n * c, seed, 0.1, 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = w.slice(i * c, (i + 1) * c);
    const s = row.reduce((a, b) => a + b, 0);
    out.push(...row.map((v) => Math.fround(v / s)));
  }
  return out;
}

interface Setup {
  x: T.Tensor;
  y: T.Tensor;
  rows: Rows;
  labels: number[];
}

function setup(n: number, c: number, sparse: boolean, layout: Layout, scale: number, seed: number): Setup {
  const xv = seededFor('float32', n * c, seed, -3, 3).map((v) => Math.fround(v * scale));
  const x = input([n, c], 'float32', seed, layout, xv);
  const labels = labelValues(n, c, sparse, seed + 1);
  const y = sparse
    ? T.tensor(labels, [n], 'int32')
    : input([n, c], 'float32', seed + 1, layout === 'broadcast' ? 'contiguous' : layout, labels).t;
  return { x: x.t, y, rows: { n, c, x: x.ref.data }, labels };
}

const KINDS = [
  ['index labels', true],
  ['probability labels', false],
] as const;

function valueCases(): Case[] {
  const cases: Case[] = [];
  for (const [kind, sparse] of KINDS) {
    for (const layout of ['contiguous', 'transposed', 'sliced'] as const) {
      for (const [scale, label] of [
        [1, ''],
        [3333, ' large (±1e4)'],
      ] as const) {
        cases.push({
          name: `${kind}: [5,7] ${layout}${label}`,
          run: () => {
            const s = setup(5, 7, sparse, layout, scale, 11);
            expectTensor(
              T.softmaxCrossEntropy(s.x, s.y),
              [5],
              'float32',
              refLoss(s.rows, s.labels, sparse),
              undefined,
              'loss',
            );
            const dy = seededFor('float32', 5, 13, -2, 2);
            expectTensor(
              softmaxCrossEntropyGrad(s.x, s.y, T.tensor(dy)),
              [5, 7],
              'float32',
              refGrad(s.rows, s.labels, sparse, dy),
              undefined,
              'gradient',
            );
          },
        });
      }
    }
    for (const [n, c] of [
      [0, 3],
      [4, 1],
      [3, 130],
    ] as const) {
      cases.push({
        name: `${kind}: ${fmt([n, c])}`,
        run: () => {
          const s = setup(n, c, sparse, 'contiguous', 1, 21);
          expectTensor(
            T.softmaxCrossEntropy(s.x, s.y),
            [n],
            'float32',
            refLoss(s.rows, s.labels, sparse),
            undefined,
            'loss',
          );
          const dy = seededFor('float32', n, 23, -2, 2);
          expectTensor(
            softmaxCrossEntropyGrad(s.x, s.y, T.tensor(dy, [n])),
            [n, c],
            'float32',
            refGrad(s.rows, s.labels, sparse, dy),
            undefined,
            'gradient',
          );
        },
      });
    }
    cases.push({
      name: `${kind}: without the fused kernels (their lowering) gives the same values`,
      run: () => {
        const s = setup(4, 6, sparse, 'transposed', 1, 31);
        const dy = seededFor('float32', 4, 33, -2, 2);
        // Own properties shadow the prototype's methods for the duration of the two calls.
        const b = s.x.backend as unknown as Record<string, unknown>;
        b.softmaxCrossEntropy = undefined;
        b.softmaxCrossEntropyGrad = undefined;
        try {
          expectTensor(
            T.softmaxCrossEntropy(s.x, s.y),
            [4],
            'float32',
            refLoss(s.rows, s.labels, sparse),
            undefined,
            'loss',
          );
          expectTensor(
            softmaxCrossEntropyGrad(s.x, s.y, T.tensor(dy)),
            [4, 6],
            'float32',
            refGrad(s.rows, s.labels, sparse, dy),
            undefined,
            'gradient',
          );
        } finally {
          delete b.softmaxCrossEntropy;
          delete b.softmaxCrossEntropyGrad;
        }
      },
    });
  }
  cases.push({
    name: 'known values: equal logits give log C; 1e4 against 0 gives 0 and 1e4; −Infinity logits of other classes are ignored',
    run: () => {
      const x = T.tensor([
        [1e4, 1e4, 1e4, 1e4],
        [1e4, 0, 0, 0],
        [1e4, 0, 0, 0],
        [-Infinity, 2, -Infinity, -Infinity],
      ]);
      expectTensor(T.softmaxCrossEntropy(x, T.tensor([2, 0, 1, 1], [4], 'int32')), [4], 'float32', [
        Math.log(4),
        0,
        1e4,
        0,
      ]);
      expectTensor(
        softmaxCrossEntropyGrad(x, T.tensor([2, 0, 1, 1], [4], 'int32'), T.tensor([1, 1, 2, 1])),
        [4, 4],
        'float32',
        [0.25, 0.25, -0.75, 0.25, 0, 0, 0, 0, 2, -2, 0, 0, 0, 0, 0, 0],
      );
    },
  });
  return cases;
}

function errorCases(sync: boolean): Case[] {
  const x = () => T.zeros([2, 3]);
  const cases: Case[] = [
    {
      name: 'errors: logits not 2-D or not float32, no classes (ShapeError, DTypeError)',
      run: () => {
        expect(() => T.softmaxCrossEntropy(T.zeros([6]), T.tensor([0, 1], [2], 'int32'))).toThrow(
          /softmaxCrossEntropy: logits must be 2-D \[N, C\], got shape \[6\]/,
        );
        expect(() => T.softmaxCrossEntropy(T.zeros([2, 3], 'int32'), T.tensor([0, 1], [2], 'int32'))).toThrow(
          T.DTypeError,
        );
        expect(() => T.softmaxCrossEntropy(T.zeros([2, 0]), T.tensor([0, 1], [2], 'int32'))).toThrow(/no classes/);
      },
    },
    {
      name: 'errors: labels of the wrong shape or dtype name both shapes',
      run: () => {
        expect(() => T.softmaxCrossEntropy(x(), T.tensor([0, 1, 2], [3], 'int32'))).toThrow(
          /labels of shape \[3\] do not fit logits \[2,3\]; expected shape \[2\]/,
        );
        expect(() => T.softmaxCrossEntropy(x(), T.zeros([2, 4]))).toThrow(T.ShapeError);
        expect(() => T.softmaxCrossEntropy(x(), T.tensor([1, 0], [2], 'bool'))).toThrow(
          /int32 class indices \[N\] or float32 probabilities \[N, C\], got bool/,
        );
        expect(() => softmaxCrossEntropyGrad(x(), T.tensor([0, 1], [2], 'int32'), T.zeros([3]))).toThrow(
          /dy must be float32 \[2\]/,
        );
      },
    },
  ];
  // Labels written from host data are checked on every backend: their range and values are
  // known on the host without a device read (tensor's index-range.ts).
  cases.push({
    name: 'errors: a class index out of range (ArgumentError, checked on the host)',
    run: () => {
      expect(() => T.softmaxCrossEntropy(x(), T.tensor([0, 3], [2], 'int32'))).toThrow(
        /label 3 at row 1 is out of range for 3 classes/,
      );
      expect(() => T.softmaxCrossEntropy(x(), T.tensor([-1, 0], [2], 'int32'))).toThrow(T.ArgumentError);
      // The gradient called on its own checks too (it used to give the row NaN on the CPU).
      expect(() => softmaxCrossEntropyGrad(x(), T.tensor([0, 3], [2], 'int32'), T.ones([2]))).toThrow(
        /^softmaxCrossEntropyGrad: label 3 at row 1 is out of range for 3 classes/,
      );
    },
  });
  cases.push({
    // The check bounds a slice by its whole storage's range (remembered per storage) and
    // looks at the slice's own values only when that range fails: neither may hide or invent an error.
    name: 'class index range of slices and gathers of one label tensor: bad labels outside the batch do not count, inside it they are named, every time',
    run: () => {
      const all = T.tensor([0, 2, 1, 7, 2], [5], 'int32');
      for (let k = 0; k < 2; k++) {
        expectTensor(T.softmaxCrossEntropy(x(), T.slice(all, [0], [2])), [2], 'float32', [Math.log(3), Math.log(3)]);
        expect(() => T.softmaxCrossEntropy(x(), T.slice(all, [2], [4]))).toThrow(
          /label 7 at row 1 is out of range for 3 classes/,
        );
      }
      // Gathered labels are bounded by their source's range; when that fails, a backend that
      // reads synchronously checks their values at the call (the others: a case below).
      const pool = T.tensor([0, 2, 9, 1], [4], 'int32');
      for (let k = 0; k < 2; k++) {
        expectTensor(T.softmaxCrossEntropy(x(), T.gather(pool, T.tensor([3, 0], [2], 'int32'))), [2], 'float32', [
          Math.log(3),
          Math.log(3),
        ]);
        if (sync)
          expect(() => T.softmaxCrossEntropy(x(), T.gather(pool, T.tensor([1, 2], [2], 'int32')))).toThrow(
            /label 9 at row 1 is out of range for 3 classes/,
          );
      }
      const good = T.tensor([1, 0, 2, 1], [4], 'int32');
      for (let k = 0; k < 2; k++)
        expectTensor(T.softmaxCrossEntropy(x(), T.slice(good, [1], [3])), [2], 'float32', [Math.log(3), Math.log(3)]);
      expect(() => T.softmaxCrossEntropy(T.zeros([4, 2]), good)).toThrow(
        /label 2 at row 2 is out of range for 2 classes/,
      );
    },
  });
  if (!sync) {
    // Labels computed on the device: their range is unknown to the host, and reading them at
    // the call would stall, so the backend reports a bad one when a result is read (the
    // contract in tensor's backend.ts): that read rejects naming the op, and the kernel
    // still wrote NaN for the row, which a later read returns.
    const deviceLabels = () => T.add(T.tensor([0, 1], [2], 'int32'), T.tensor([0, 2], [2], 'int32'));
    const rejectsNaming = (op: string) => (e: unknown) => {
      expect(e).toBeInstanceOf(T.ArgumentError);
      expect((e as Error).message).toMatch(new RegExp(`^${op}: .*\\[0, 3\\)`));
    };
    cases.push(
      {
        name: 'softmaxCrossEntropy, a class index computed on the device out of range: the read rejects with an ArgumentError naming the op; the row is NaN',
        run: () => {
          const loss = T.softmaxCrossEntropy(x(), deviceLabels());
          afterReadRejects(loss, rejectsNaming('softmaxCrossEntropy'));
          expectTensor(loss, [2], 'float32', [Math.log(3), NaN]);
        },
      },
      {
        // Gathered from host labels: the host knows the batch's range, [0, 9], not its values.
        name: 'softmaxCrossEntropy, a batch gathered from host labels holding a bad one: the read rejects with an ArgumentError naming the op; the row is NaN',
        run: () => {
          const batch = T.gather(T.tensor([0, 2, 9, 1], [4], 'int32'), T.tensor([3, 2], [2], 'int32'));
          const loss = T.softmaxCrossEntropy(x(), batch);
          afterReadRejects(loss, rejectsNaming('softmaxCrossEntropy'));
          expectTensor(loss, [2], 'float32', [Math.log(3), NaN]);
        },
      },
      {
        // The lowering gives the row NaN as the kernel does, but its kernels do not see the
        // labels as indices: the labels are checked (Backend.checkIndices, or its lowering).
        name: 'softmaxCrossEntropy without the fused kernels, a class index computed on the device out of range: the read rejects with an ArgumentError naming the op; the row is NaN',
        run: () => {
          const b = x().backend as unknown as Record<string, unknown>;
          b.softmaxCrossEntropy = undefined;
          try {
            const loss = T.softmaxCrossEntropy(x(), deviceLabels());
            afterReadRejects(loss, rejectsNaming('softmaxCrossEntropy'));
            expectTensor(loss, [2], 'float32', [Math.log(3), NaN]);
          } finally {
            delete b.softmaxCrossEntropy;
          }
        },
      },
      {
        name: 'softmaxCrossEntropyGrad, a class index computed on the device out of range: the read rejects with an ArgumentError naming the op; the row is NaN',
        run: () => {
          const dx = softmaxCrossEntropyGrad(x(), deviceLabels(), T.ones([2]));
          afterReadRejects(dx, rejectsNaming('softmaxCrossEntropyGrad'));
          expectTensor(dx, [2, 3], 'float32', [-2 / 3, 1 / 3, 1 / 3, NaN, NaN, NaN]);
        },
      },
    );
  }
  return cases;
}

export function registerSoftmaxCrossEntropy(sync: boolean): void {
  registerCases('softmaxCrossEntropy', [...valueCases(), ...errorCases(sync)]);
}
