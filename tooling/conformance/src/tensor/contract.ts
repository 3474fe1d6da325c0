import {
  type Backend,
  BackendError,
  type DType,
  type Tensor,
  activeBackend,
  add,
  findBackend,
  getBackend,
  listBackends,
  memory,
  registerBackend,
  removeBackend,
  reshape,
  setBackend,
  tensor,
  transpose,
  zeros,
} from '@tsdl/tensor';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context';
import { footprint, values } from './helpers';

/** The registry, moving tensors between two backends, and assign. */
export function registerContract(ctx: ConformanceContext): void {
  describe('registry, movement and assign', () => {
    registerContractTests(ctx);
  });
}

function registerContractTests(ctx: ConformanceContext): void {
  let main: Backend;
  let other: Backend;
  beforeAll(() => {
    main = getBackend();
    other = ctx.second();
  });
  // Every test leaves the backend under test active and the second one unregistered.
  afterEach(() => {
    setBackend(main);
    if (other.name !== main.name && findBackend(other.name) === other) removeBackend(other.name);
  });

  describe('registry', () => {
    it('the second instance has its own name', () => {
      expect(other.name).not.toBe(main.name);
      expect(other).not.toBe(main);
    });

    it('making a backend registers and activates nothing (no side-effect registration)', () => {
      const fresh = ctx.factory();
      const second = ctx.second();
      expect(listBackends()).not.toContain(fresh);
      expect(listBackends()).not.toContain(second);
      expect(getBackend()).toBe(main);
      expect(findBackend(main.name)).toBe(main);
    });

    it('registerBackend adds a backend by name without activating it', () => {
      registerBackend(other);
      expect(listBackends()).toContain(other);
      expect(listBackends()).toContain(main);
      expect(findBackend(other.name)).toBe(other);
      expect(getBackend()).toBe(main);
    });

    it('setBackend by name and by instance switches where new tensors are made', async () => {
      registerBackend(other);
      const before = memory().backends[other.name];
      expect(setBackend(other.name)).toBe(other);
      expect(getBackend()).toBe(other);
      expect(activeBackend()).toBe(other);
      const a = tensor([1, 2, 3]);
      expect(a.backend).toBe(other);
      expect(memory().backends[other.name].bytes - before.bytes).toBe(12);
      expect(setBackend(main)).toBe(main);
      const b = zeros([2]);
      expect(b.backend).toBe(main);
      expect(await values(a)).toEqual([1, 2, 3]);
      a.dispose();
      b.dispose();
      expect(memory().backends[other.name]).toEqual(before);
    });

    it('setBackend with an instance registers it', () => {
      setBackend(other);
      expect(findBackend(other.name)).toBe(other);
      expect(getBackend()).toBe(other);
    });

    it('ops run on their inputs\u2019 backend, not the active one', async () => {
      const a = tensor([1, 2], undefined, undefined, { backend: other });
      const b = add(a, 1);
      expect(b.backend).toBe(other);
      expect(await values(b)).toEqual([2, 3]);
      a.dispose();
      b.dispose();
    });

    it('removing the active backend leaves none selected, and creating a tensor says how to choose one', () => {
      setBackend(other);
      removeBackend(other.name);
      expect(activeBackend()).toBeNull();
      expect(listBackends()).not.toContain(other);
      expect(() => getBackend()).toThrow(BackendError);
      expect(() => zeros([1])).toThrow(/no backend selected: call setBackend\(cpu\(\)\)/);
    });
  });

  describe('moving tensors between backends', () => {
    const samples: [DType, number[][]][] = [
      [
        'float32',
        [
          [1.5, -2, NaN],
          [Infinity, -Infinity, -0.375],
        ],
      ],
      [
        'int32',
        [
          [1, -2, 2147483647],
          [-2147483648, 0, 7],
        ],
      ],
      [
        'bool',
        [
          [1, 0, 1],
          [0, 0, 1],
        ],
      ],
    ];

    for (const [dtype, data] of samples) {
      it(`toAsync(other) and back copies ${dtype} values, shape and dtype`, async () => {
        const t = tensor(data, undefined, dtype);
        const there = await t.toAsync(other);
        expect(there.backend).toBe(other);
        expect(there.shape).toEqual([2, 3]);
        expect(there.dtype).toBe(dtype);
        const back = await there.toAsync(main);
        expect(back.backend).toBe(main);
        t.dispose();
        // The copies own their storage: the source is gone, they still read.
        expect(await values(there)).toEqual(data.flat());
        expect(await values(back)).toEqual(data.flat());
        there.dispose();
        back.dispose();
      });
    }

    it('toAsync of a non-contiguous view copies the logical values', async () => {
      const t = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const v = transpose(t);
      const there = await v.toAsync(other);
      expect(there.shape).toEqual([3, 2]);
      expect(await values(there)).toEqual([1, 4, 2, 5, 3, 6]);
      [t, v, there].forEach((x) => x.dispose());
    });

    if (ctx.sync) {
      for (const [dtype, data] of samples) {
        it(`to(other) copies ${dtype} values synchronously`, async () => {
          const t = tensor(data, undefined, dtype);
          const there = t.to(other);
          expect(there.backend).toBe(other);
          expect(there.dtype).toBe(dtype);
          expect(there.shape).toEqual([2, 3]);
          t.dispose();
          expect(await values(there)).toEqual(data.flat());
          there.dispose();
        });
      }

      it('to(other) accounts the copy on the other backend; to(same) shares storage', () => {
        registerBackend(other);
        const t = tensor([
          [1, 2],
          [3, 4],
        ]);
        const m0 = footprint(other);
        const there = transpose(t).to(other);
        expect(footprint(other).bytes - m0.bytes).toBe(16);
        expect(Array.from(there.dataSync())).toEqual([1, 3, 2, 4]);
        const m1 = footprint(main);
        const same = t.to(main);
        expect(footprint(main).bytes).toBe(m1.bytes);
        expect(Array.from(same.dataSync())).toEqual([1, 2, 3, 4]);
        [t, there, same].forEach((x) => x.dispose());
        expect(footprint(other).bytes).toBe(m0.bytes);
      });
    }
  });

  describe('assign', () => {
    it('replaces values in place and keeps identity, shape and dtype', async () => {
      const m0 = footprint();
      const a = zeros([2, 2]);
      const v = tensor([
        [1, 2],
        [3, 4],
      ]);
      expect(a.assign(v)).toBe(a);
      expect(a.dtype).toBe('float32');
      expect(a.shape).toEqual([2, 2]);
      v.dispose();
      expect(await values(a)).toEqual([1, 2, 3, 4]);
      a.dispose();
      expect(footprint()).toEqual(m0);
    });

    it('casts the value to the target dtype', async () => {
      const f = zeros([3]);
      const i = zeros([3], 'int32');
      const vi = tensor([1, -2, 3], undefined, 'int32');
      const vf = tensor([1.7, -1.7, 2.5]);
      f.assign(vi);
      i.assign(vf);
      expect(f.dtype).toBe('float32');
      expect(i.dtype).toBe('int32');
      expect(await values(f)).toEqual([1, -2, 3]);
      expect(await values(i)).toEqual([1, -1, 2]); // truncation toward zero
      [f, i, vi, vf].forEach((x) => x.dispose());
    });

    it('takes the logical values of a non-contiguous view', async () => {
      const a = zeros([3, 2]);
      const base = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      a.assign(transpose(base));
      base.dispose();
      expect(await values(a)).toEqual([1, 4, 2, 5, 3, 6]);
      a.dispose();
    });

    it('assigning to a view leaves the tensor it viewed unchanged (tensors are immutable)', async () => {
      const base = tensor([1, 2, 3, 4]);
      const r = reshape(base, [2, 2]);
      r.assign(
        tensor([
          [9, 9],
          [9, 9],
        ]),
      );
      expect(await values(r)).toEqual([9, 9, 9, 9]);
      expect(await values(base)).toEqual([1, 2, 3, 4]);
      base.dispose();
      r.dispose();
    });

    it('a later op reads the new values', async () => {
      const a = tensor([1, 2]);
      const t: Tensor = tensor([10, 20]);
      a.assign(t);
      const s = add(a, 1);
      expect(await values(s)).toEqual([11, 21]);
      [a, t, s].forEach((x) => x.dispose());
    });
  });
}
