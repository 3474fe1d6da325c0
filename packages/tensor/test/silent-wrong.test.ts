import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, DataId, ElementwiseSpec, ReduceOp, View } from '../src/backend';
import { reduceIdentity } from '../src/backend';
import type { DType, TypedArray } from '../src/dtype';
import { makeTypedArray } from '../src/dtype';
import { liveTensorCount } from '../src/engine';
import { ArgumentError, AxisError, ShapeError, TsdlError } from '../src/errors';
import { evalExpr } from '../src/expr';
import { tidy } from '../src/memory';
import * as creation from '../src/ops/creation';
import * as elementwise from '../src/ops/elementwise';
import * as linalg from '../src/ops/linalg';
import * as nn from '../src/ops/nn';
import * as reduce from '../src/ops/reduce';
import * as shapeOps from '../src/ops/shape';
import { getBackend, registerBackend, removeBackend, setBackend } from '../src/registry';
import { sizeOf } from '../src/shape';
import type { Tensor } from '../src/tensor';

const { arange, eye, full, linspace, ones, rand, randint, randn, scalar, tensor, zeros } = creation;
const { add, mul, where } = elementwise;
const { argmax, argmin, logSumExp, max, min, prod, sum } = reduce;

/**
 * Calls that gave a wrong value, or a raw TypeError/RangeError, without a clear error (issue
 * 12): each is now a TsdlError naming the op and what it got, or PyTorch's value. Runs on a
 * small host backend (every kernel from `evalExpr`) that counts what it allocates, so a call
 * refused for its size is shown to allocate nothing.
 */

/** A view's elements, row-major. */
function elements(store: Map<DataId, TypedArray>, v: View): number[] {
  const all = store.get(v.data) as TypedArray;
  const out: number[] = [];
  const walk = (d: number, p: number): void => {
    if (d === v.shape.length) out.push(all[p]);
    else for (let i = 0; i < v.shape[d]; i++) walk(d + 1, p + i * v.strides[d]);
  };
  walk(0, v.offset);
  return out;
}

const REDUCERS: Record<ReduceOp, (vals: number[]) => number> = {
  sum: (v) => v.reduce((a, b) => a + b, 0),
  prod: (v) => v.reduce((a, b) => a * b, 1),
  max: (v) => v.reduce((a, b) => Math.max(a, b), -Infinity),
  min: (v) => v.reduce((a, b) => Math.min(a, b), Infinity),
  argmax: (v) => v.indexOf(Math.max(...v)),
  argmin: (v) => v.indexOf(Math.min(...v)),
  any: (v) => (v.some((x) => x !== 0) ? 1 : 0),
  all: (v) => (v.every((x) => x !== 0) ? 1 : 0),
};

interface HostBackend extends Backend {
  /** Elements allocated by write and by kernels, in all. */
  allocated: number;
  storages(): number;
}

function hostBackend(name: string, maxElements?: number): HostBackend {
  const store = new Map<DataId, TypedArray>();
  const put = (a: TypedArray): DataId => {
    const id = {};
    store.set(id, a);
    b.allocated += a.length;
    return id;
  };
  const b: HostBackend = {
    name,
    allocated: 0,
    storages: () => store.size,
    write: (values: TypedArray) => put(values.slice()),
    read: (id: DataId) => Promise.resolve((store.get(id) as TypedArray).slice()),
    readSync: (id: DataId) => (store.get(id) as TypedArray).slice(),
    free: (id: DataId) => void store.delete(id),
    memory: () => ({ buffers: store.size, bytes: 0 }),
    elementwise(spec: ElementwiseSpec): DataId[] {
      const ins = spec.inputs.map((v) => elements(store, v));
      return spec.exprs.map((e, k) => {
        const out = makeTypedArray(spec.dtypes[k], sizeOf(spec.shape));
        for (let i = 0; i < out.length; i++) {
          const v = evalExpr(
            e,
            ins.map((a) => a[i]),
            spec.scalars,
          );
          out[i] = spec.dtypes[k] === 'bool' ? (v !== 0 ? 1 : 0) : v;
        }
        return put(out);
      });
    },
    reduce(op: ReduceOp, x: View, axes: number, outDtype: DType): DataId {
      const vals = elements(store, x);
      const inner = sizeOf(x.shape.slice(x.shape.length - axes));
      const out = makeTypedArray(outDtype, sizeOf(x.shape.slice(0, x.shape.length - axes)));
      for (let i = 0; i < out.length; i++) {
        const block = vals.slice(i * inner, (i + 1) * inner);
        out[i] = block.length === 0 ? reduceIdentity(op) : REDUCERS[op](block);
      }
      return put(out);
    },
    random: (_dist: string, size: number) => put(new Float32Array(size).fill(0.5)),
  } as unknown as HostBackend;
  if (maxElements !== undefined) b.maxElements = () => maxElements;
  return b;
}

const host = hostBackend('host');
let previous: Backend | null = null;
beforeAll(() => {
  try {
    previous = getBackend();
  } catch {
    previous = null;
  }
  registerBackend(host);
  setBackend(host);
});
afterAll(() => {
  removeBackend(host.name);
  if (previous) setBackend(previous);
});

const values = (t: Tensor): number[] => Array.from(t.dataSync());

/** Runs `fn`, which must throw `cls` matching `message`, and checks it left no tensor or storage behind. */
function expectRefused(
  fn: () => unknown,
  cls: new (m: string) => TsdlError,
  message: RegExp,
  backend: HostBackend = host,
): void {
  const tensors = liveTensorCount();
  const storages = backend.storages();
  let err: unknown = null;
  tidy(() => {
    try {
      fn();
    } catch (e) {
      err = e;
    }
  });
  expect(err, 'the call did not throw').toBeInstanceOf(cls);
  expect((err as Error).message).toMatch(message);
  expect(liveTensorCount()).toBe(tensors);
  expect(backend.storages()).toBe(storages);
}

describe('int32 values that would wrap are refused (ArgumentError naming the value and index), as PyTorch', () => {
  it('tensor() refuses values beyond int32, NaN and infinities, and keeps the ones it holds', () => {
    expectRefused(
      () => tensor([3e9], [1], 'int32'),
      ArgumentError,
      /^tensor: value 3000000000 at index 0 cannot be stored as int32 without overflow \(int32 holds -2147483648 to 2147483647\); pass dtype 'float32'/,
    );
    expectRefused(
      () =>
        tensor(
          [
            [1, 2],
            [NaN, 4],
          ],
          undefined,
          'int32',
        ),
      ArgumentError,
      /^tensor: value NaN at index 2 \[1,0\] cannot be stored as int32/,
    );
    expectRefused(
      () => tensor([0, -Infinity], undefined, 'int32'),
      ArgumentError,
      /^tensor: value -Infinity at index 1 cannot/,
    );
    // PyTorch raises for 2147483647.5 too: the range test comes before truncation.
    expectRefused(() => tensor([2147483647.5], undefined, 'int32'), ArgumentError, /value 2147483647.5 at index 0/);
    expectRefused(
      () => tensor(new Float32Array([1, -3e9]), undefined, 'int32'),
      ArgumentError,
      /value -3000000000 at index 1/,
    );
    expect(values(tensor([-2147483648, 2147483647], undefined, 'int32'))).toEqual([-2147483648, 2147483647]);
    // Fractions truncate toward zero, as PyTorch's torch.tensor([1.7, -2.2], dtype=torch.int32).
    expect(values(tensor([1.7, -2.2], undefined, 'int32'))).toEqual([1, -2]);
  });

  it('a Uint32Array becomes int32 while its values fit, and is refused (not wrapped to -1) beyond 2^31 − 1', () => {
    const t = tensor(new Uint32Array([0, 7, 2147483647]));
    expect(t.dtype).toBe('int32');
    expect(values(t)).toEqual([0, 7, 2147483647]);
    expectRefused(
      () => tensor(new Uint32Array([1, 4294967295])),
      ArgumentError,
      /^tensor: value 4294967295 at index 1 cannot be stored as int32 without overflow.*pass dtype 'float32'/,
    );
    // Asked for float32, it keeps the value (to float32's precision).
    expect(values(tensor(new Uint32Array([4294967295]), undefined, 'float32'))).toEqual([4294967296]);
  });

  it('scalar, full, zeros, arange and randint refuse int32 overflow under their own names', () => {
    expectRefused(
      () => scalar(3e9, 'int32'),
      ArgumentError,
      /^scalar: value 3000000000 at index 0 cannot be stored as int32/,
    );
    expectRefused(
      () => full([2], 3e9, 'int32'),
      ArgumentError,
      /^full: value 3000000000 cannot be stored as int32 without overflow/,
    );
    expectRefused(() => full([2], NaN, 'int32'), ArgumentError, /^full: value NaN cannot be stored as int32/);
    expect(values(full([2], -7, 'int32'))).toEqual([-7, -7]);
    expectRefused(
      () => arange(2 ** 31 - 2, 2 ** 31 + 1),
      ArgumentError,
      /^arange: value 2147483648 at index 2 cannot be stored as int32/,
    );
    expectRefused(
      () => randint(0, 2 ** 32, [2]),
      ArgumentError,
      /^randint: low=0 and high=4294967296 must give values within int32's range/,
    );
  });
});

describe('dtype inference looks at every element; bool is value != 0', () => {
  it("mixed booleans and numbers are numbers (bool promotes to the numbers' float32), not bool from the first element", () => {
    const t = tensor([true, 5]);
    expect(t.dtype).toBe('float32');
    expect(values(t)).toEqual([1, 5]);
    const u = tensor([[5], [false]]);
    expect(u.dtype).toBe('float32');
    expect(values(u)).toEqual([5, 0]);
    expect(tensor([[true], [false]]).dtype).toBe('bool');
    expect(tensor([]).dtype).toBe('float32');
  });

  it('NaN is true as bool, as cast() and PyTorch (JavaScript truthiness made it false)', () => {
    expect(values(tensor([NaN, 0, 2], undefined, 'bool'))).toEqual([1, 0, 1]);
    expect(values(full([2], NaN, 'bool'))).toEqual([1, 1]);
    // Bool storage holds 0 or 1 only: arange's 2 is true, not 2.
    expect(values(arange(0, 3, 1, 'bool'))).toEqual([0, 1, 1]);
  });

  it('values that are not numbers or booleans are an ArgumentError naming them', () => {
    expectRefused(
      () => tensor([1, '2' as unknown as number]),
      ArgumentError,
      /^tensor: values must be numbers or booleans, got string "2"/,
    );
    expectRefused(
      () => tensor(null as unknown as number[]),
      ArgumentError,
      /^tensor: values must be an array, a TypedArray, a number or a boolean, got null/,
    );
    expectRefused(
      () => full([2], '1' as unknown as number),
      ArgumentError,
      /^full: value must be a number or a boolean, got string "1"/,
    );
    expectRefused(
      () => scalar(undefined as unknown as number),
      ArgumentError,
      /^scalar: value must be a number or a boolean, got undefined/,
    );
  });
});

const BAD: readonly [string, unknown][] = [
  ['a string', '1'],
  ['null', null],
  ['undefined', undefined],
  ['an array', [1, 2]],
  ['an object', {}],
];

describe('non-tensor operands are an ArgumentError naming the op and the argument', () => {
  const BINARY = [
    'add',
    'sub',
    'mul',
    'div',
    'pow',
    'maximum',
    'minimum',
    'eq',
    'ne',
    'lt',
    'le',
    'gt',
    'ge',
    'logicalAnd',
    'logicalOr',
  ] as const;
  for (const [what, bad] of BAD) {
    it(`${what} as either operand of every binary op`, () => {
      const t = ones([2]);
      for (const op of BINARY) {
        const f = elementwise[op] as (a: unknown, b: unknown) => Tensor;
        expectRefused(
          () => f(t, bad),
          ArgumentError,
          new RegExp(`^${op}: argument 2 \\(b\\) must be a Tensor, a number or a boolean, got `),
        );
        expectRefused(
          () => f(bad, t),
          ArgumentError,
          new RegExp(`^${op}: argument 1 \\(a\\) must be a Tensor, a number or a boolean, got `),
        );
      }
      expectRefused(
        () => where(ones([2], 'bool'), t, bad as number),
        ArgumentError,
        /^where: argument 3 \(b\) must be a Tensor, a number or a boolean/,
      );
      expectRefused(
        () => where(bad as Tensor, t, 1),
        ArgumentError,
        /^where: argument 1 \(cond\) must be a Tensor, got /,
      );
      t.dispose();
    });
  }

  it('the messages say what was given; arrays are refused as torch.add(t, [1, 2]) refuses them', () => {
    const t = ones([2]);
    expectRefused(
      () => add(t, '1' as unknown as number),
      ArgumentError,
      /^add: argument 2 \(b\) must be a Tensor, a number or a boolean, got string "1"$/,
    );
    expectRefused(
      () => mul(t, [1, 2] as unknown as number),
      ArgumentError,
      /^mul: argument 2 \(b\) must be a Tensor, a number or a boolean, got an array \[1,2\]; make it a tensor with tensor\(\) first$/,
    );
    expectRefused(() => add(t, null as unknown as number), ArgumentError, /got null$/);
    t.dispose();
  });

  it("booleans are weak scalars 1 and 0, as PyTorch's t + True", () => {
    const i = tensor([1, 2], undefined, 'int32');
    const r = add(i, true);
    expect(r.dtype).toBe('int32');
    expect(values(r)).toEqual([2, 3]);
    expect(values(mul(tensor([1.5, 2]), false))).toEqual([0, 0]);
    expect(values(where(tensor([true, false]), true, 0))).toEqual([1, 0]);
  });

  /** Exported functions of the op modules with a tensor first argument (creation's and helpers aside). */
  const MODULES = { elementwise, reduce, shapeOps, linalg, nn };
  const NOT_OPS = new Set(['binary']);
  for (const [what, bad] of BAD) {
    it(`every op refuses ${what} as its first argument with a TsdlError, never a TypeError`, () => {
      let checked = 0;
      for (const [mod, exports] of Object.entries(MODULES)) {
        for (const [name, f] of Object.entries(exports)) {
          if (typeof f !== 'function' || NOT_OPS.has(name)) continue;
          let err: unknown = null;
          tidy(() => {
            try {
              (f as (...a: unknown[]) => unknown)(bad);
            } catch (e) {
              err = e;
            }
          });
          expect(err, `${mod}.${name}(${what}) did not throw a TsdlError`).toBeInstanceOf(TsdlError);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(60);
    });
  }
});

describe('axes must be integers: an AxisError naming the op', () => {
  const BAD_AXES: readonly [unknown, RegExp][] = [
    ['1', /axis must be an integer, got string "1"|axes must be an integer or an array of integers, got string "1"/],
    [NaN, /axis must be an integer, got number NaN/],
    [0.5, /axis must be an integer, got number 0.5/],
    [{}, /axes must be an integer or an array of integers, got Object \{\}/],
    [[0, '1'], /axis must be an integer, got string "1"/],
    [true, /axes must be an integer or an array of integers, got boolean true/],
  ];
  it('in every reduction, softmax and the shape ops', () => {
    const x = ones([2, 3]);
    const calls: [string, (a: unknown) => unknown][] = [
      ['sum', (a) => sum(x, a as number)],
      ['prod', (a) => prod(x, a as number)],
      ['max', (a) => max(x, a as number)],
      ['min', (a) => min(x, a as number)],
      ['mean', (a) => reduce.mean(x, a as number)],
      ['variance', (a) => reduce.variance(x, a as number)],
      ['logSumExp', (a) => logSumExp(x, a as number)],
      ['all', (a) => reduce.all(x, a as number)],
    ];
    for (const [op, call] of calls) {
      for (const [axis, message] of BAD_AXES) {
        expectRefused(() => call(axis), AxisError, new RegExp(`^${op}: (${message.source})`));
      }
    }
    for (const [axis] of BAD_AXES) {
      expectRefused(() => argmax(x, axis as number), AxisError, /^argmax: axis must be an integer, got /);
      expectRefused(() => nn.softmax(x, axis as number), AxisError, /^softmax: axis must be an integer, got /);
      expectRefused(
        () => shapeOps.unsqueeze(x, axis as number),
        AxisError,
        /^unsqueeze: axis must be an integer, got /,
      );
      expectRefused(() => shapeOps.concat([x, x], axis as number), AxisError, /^concat: axis must be an integer, got /);
      expectRefused(
        () => shapeOps.squeeze(x, axis as number),
        AxisError,
        /^squeeze: (axis must be an integer|axes must be an integer or an array)/,
      );
    }
    x.dispose();
  });
});

describe('max, min, argmax and argmin of nothing throw, as PyTorch; sum and prod give 0 and 1', () => {
  it('over a whole empty tensor or an empty reduced axis', () => {
    for (const [op, f] of [
      ['max', max],
      ['min', min],
      ['argmax', argmax],
      ['argmin', argmin],
    ] as const) {
      expectRefused(
        () => f(zeros([0])),
        ShapeError,
        new RegExp(
          `^${op}: cannot reduce a tensor with no elements \\(shape \\[0\\]\\); the ${op} of no values is undefined`,
        ),
      );
      expectRefused(
        () => f(zeros([3, 0]), 1),
        ShapeError,
        new RegExp(`^${op}: cannot reduce over axis 1 of shape \\[3,0\\], which has size 0`),
      );
      expectRefused(
        () => f(zeros([0, 3]), 0),
        ShapeError,
        new RegExp(`^${op}: cannot reduce over axis 0 of shape \\[0,3\\]`),
      );
      // Keeping the empty axis is fine: an empty result, as torch.zeros(0, 3).max(dim=1).
      const kept = f(zeros([0, 3]), 1);
      expect(kept.shape).toEqual([0]);
    }
    expectRefused(
      () => max(zeros([2, 0, 3]), [1, 2]),
      ShapeError,
      /^max: cannot reduce over axis 1 of shape \[2,0,3\]/,
    );
    expect(values(sum(zeros([0])))).toEqual([0]);
    expect(values(prod(zeros([0])))).toEqual([1]);
    expect(values(sum(zeros([3, 0]), 1))).toEqual([0, 0, 0]);
  });

  it('logSumExp of nothing is still -Infinity, as torch.logsumexp', () => {
    expect(values(logSumExp(zeros([0])))).toEqual([-Infinity]);
    expect(values(logSumExp(zeros([3, 0]), 1))).toEqual([-Infinity, -Infinity, -Infinity]);
    expect(values(logSumExp(tensor([[0, Math.log(3)]]), 1))).toEqual([Math.fround(Math.log(4))]);
  });
});

describe('shapes: bad dimensions are ShapeErrors, and a tensor too large for the backend is refused before anything is allocated', () => {
  it('non-integer, negative, non-finite and non-number dimensions', () => {
    for (const d of [NaN, Infinity, -1, 2.5, '2']) {
      expectRefused(
        () => zeros([2, d as number]),
        ShapeError,
        /^zeros: shape \[2,.*\] has an invalid dimension .*; dimensions are integers >= 0/,
      );
      expectRefused(() => rand([d as number]), ShapeError, /^rand: shape .* has an invalid dimension/);
    }
    expectRefused(() => zeros([NaN]), ShapeError, /^zeros: shape \[NaN\] has an invalid dimension NaN/);
    expectRefused(
      () => zeros(null as unknown as number[]),
      ShapeError,
      /^zeros: shape must be an array of integers, got null/,
    );
    expectRefused(
      () => shapeOps.reshape(ones([2]), '2' as unknown as number[]),
      ShapeError,
      /^reshape: shape must be an array of integers, got string "2"/,
    );
    expectRefused(
      () => shapeOps.scatterAdd(ones([1]), tensor([0], undefined, 'int32'), 0, [-1]),
      ShapeError,
      /^scatterAdd: shape \[-1\] has an invalid dimension -1/,
    );
  });

  it('huge shapes fail at once naming the op and the size, where they gave RangeErrors after allocating', () => {
    const small = hostBackend('small', 2 ** 24 + 10);
    const on = { backend: small };
    const limit = /more than backend 'small' can hold in one tensor \(at most 16777226 (float32|int32) elements\)/;
    expectRefused(
      () => zeros([1e6, 1e6], 'float32', on),
      ShapeError,
      /^zeros: shape \[1000000,1000000\] has 1000000000000 elements \(4000\.0 GB of float32\), more than backend 'small'/,
      small,
    );
    expectRefused(
      () => arange(0, 1e10, 1, undefined, on),
      ShapeError,
      /^arange: shape \[10000000000\] has 10000000000 elements \(40\.0 GB of int32\)/,
      small,
    );
    const big = [2 ** 12, 2 ** 12 + 1];
    for (const [op, call] of [
      ['zeros', () => zeros(big, 'float32', on)],
      ['ones', () => ones(big, 'int32', on)],
      ['full', () => full(big, 2, 'int32', on)],
      ['eye', () => eye(big[0], big[1], 'float32', on)],
      ['linspace', () => linspace(0, 1, 2 ** 24 + 11, on)],
      ['rand', () => rand(big, on)],
      ['randn', () => randn(big, on)],
      ['randint', () => randint(0, 5, big, on)],
    ] as const) {
      expectRefused(call, ShapeError, new RegExp(`^${op}: shape .* has \\d+ elements .*${limit.source}`), small);
    }
    // Outputs far larger than their inputs: broadcasting, outer products, one-hot rows.
    const col = zeros([5000, 1], 'float32', on);
    const row = zeros([1, 5000], 'float32', on);
    expectRefused(() => add(col, row), ShapeError, /^add: shape \[5000,5000\] has 25000000 elements/, small);
    expectRefused(
      () => linalg.matmul(col, row),
      ShapeError,
      /^matmul: shape \[5000,5000\] has 25000000 elements/,
      small,
    );
    expectRefused(
      () => shapeOps.tile(col, [1, 5000]),
      ShapeError,
      /^tile: shape \[5000,5000\] has 25000000 elements/,
      small,
    );
    expect(small.allocated).toBe(10000);
    col.dispose();
    row.dispose();
    removeBackend('small');
  });

  it("a backend that states no limit gets a JavaScript typed array's (2^32 bytes)", () => {
    expect(host.maxElements).toBeUndefined();
    expectRefused(
      () => zeros([40000, 40000]),
      ShapeError,
      /^zeros: shape \[40000,40000\] has 1600000000 elements \(6\.4 GB of float32\), more than backend 'host' can hold in one tensor \(at most 1073741824 float32 elements\)/,
    );
    expect(host.allocated).toBeLessThan(1e6);
  });
});
