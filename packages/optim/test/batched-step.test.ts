import { cpu } from '@tsdl/backend-cpu';
import { type Backend, type Tensor, setBackend, tensor } from '@tsdl/tensor';
import { E, type ElementwiseGroupsSpec } from '@tsdl/tensor/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, Optimizer, type ParamGroup, type ParamState, SGD } from '../src/index';
import { expectClose, values } from './helpers';

/**
 * step() hands every parameter whose update uses the same kernel to the
 * backend in one elementwiseGroups call (a GPU then launches one kernel for
 * all). A CPU backend given such a method (one kernel per group, counting
 * calls) must give exactly the plain CPU backend's results.
 */

interface Call {
  key: string;
  groups: number;
}

/** The CPU backend plus an elementwiseGroups that runs each group as an ordinary kernel and records the call. */
function groupingCpu(calls: Call[], fail = false): Backend {
  const inner = cpu({ name: 'cpu-grouping' });
  const b = Object.create(inner) as Backend;
  b.elementwiseGroups = (spec: ElementwiseGroupsSpec) => {
    if (fail) throw new Error('elementwiseGroups failed on purpose');
    calls.push({ key: spec.key, groups: spec.groups.length });
    return spec.groups.map((g) =>
      inner.elementwise({
        exprs: spec.exprs,
        inputs: g.inputs,
        scalars: g.scalars,
        shape: [g.size],
        dtypes: spec.exprs.map(() => 'float32'),
        key: spec.key,
      }),
    );
  };
  return b;
}

const SHAPES = [[3, 4], [4], [4, 2], [2]];

/** Four parameters and their gradients for `steps` steps, made on `backend`; returns the final values. */
function train(
  backend: Backend,
  make: (ps: Tensor[]) => Pick<Optimizer, 'step' | 'dispose'>,
  steps: number,
): number[][] {
  setBackend(backend);
  const ps = SHAPES.map((s, i) => {
    const n = s.reduce((a, b) => a * b, 1);
    const p = tensor(
      Array.from({ length: n }, (_, j) => Math.sin(i + j)),
      s,
    ).keep();
    p.requiresGrad = true;
    return p;
  });
  const opt = make(ps);
  for (let t = 0; t < steps; t++) {
    ps.forEach((p, i) => {
      p.grad?.dispose();
      p.grad = tensor(
        Array.from({ length: p.size }, (_, j) => Math.cos(3 * t + i * j)),
        p.shape,
      ).keep();
    });
    opt.step();
  }
  const out = ps.map(values);
  opt.dispose();
  for (const p of ps) {
    p.grad?.dispose();
    p.dispose();
  }
  return out;
}

/**
 * Equal within float32 rounding: the grouped run computes each parameter as a
 * flat vector, and the CPU backend may take another code path (scalar or
 * SIMD) for a flat vector than for the parameter's own shape.
 */
function expectSame(got: number[][], want: number[][]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expectClose(g, want[i], 1e-6, 1e-7));
}

describe('batched optimizer step', () => {
  let plain: Backend;
  beforeAll(() => {
    plain = cpu({ name: 'cpu-plain' });
  });
  afterAll(() => setBackend(cpu()));

  it('updates every Adam parameter in one call per step, with the plain backend results', () => {
    const calls: Call[] = [];
    const make = (ps: Tensor[]) => new Adam(ps, { lr: 0.05 });
    const want = train(plain, make, 5);
    const got = train(groupingCpu(calls), make, 5);
    expectSame(got, want);
    expect(calls.map((c) => c.groups)).toEqual([4, 4, 4, 4, 4]);
  });

  it('makes one call per kernel: groups with other hyper-parameters share it; a kernel of one parameter runs alone', () => {
    const calls: Call[] = [];
    // Groups 1 and 2 differ in lr only (the same kernel, other scalars); group 3 has weight decay: another
    // kernel, for one parameter, so an ordinary elementwise kernel rather than a grouped call.
    const make = (ps: Tensor[]) =>
      new Adam([{ params: [ps[0], ps[1]] }, { params: [ps[2]], lr: 0.2 }, { params: [ps[3]], weightDecay: 0.1 }], {
        lr: 0.05,
      });
    const want = train(plain, make, 3);
    const got = train(groupingCpu(calls), make, 3);
    expectSame(got, want);
    expect(calls.map((c) => c.groups)).toEqual([3, 3, 3]);
  });

  it('batches SGD with momentum the same way', () => {
    const calls: Call[] = [];
    const make = (ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true });
    expectSame(train(groupingCpu(calls), make, 4), train(plain, make, 4));
    expect(calls.map((c) => c.groups)).toEqual([4, 4, 4, 4]);
  });

  it('still runs a subclass that applies its update itself (fused + commit, returning nothing)', () => {
    // Plain SGD written the old way: θ ← θ − lr·g.
    class OwnSGD extends Optimizer<{ lr: number }> {
      protected readonly stateNames = [] as const;
      constructor(ps: Tensor[]) {
        super('OwnSGD', ps, { lr: 0.5 });
      }
      protected checkHyper(): void {}
      protected update(p: Tensor, g: Tensor, state: ParamState, h: ParamGroup<{ lr: number }>): void {
        const [next] = this.fused(p, 'own-sgd', [E.sub(E.in(0), E.mul(E.s(0), E.in(1)))], [p, g], [h.lr]);
        this.commit(p, next, state, {});
      }
    }
    const calls: Call[] = [];
    const got = train(groupingCpu(calls), (ps) => new OwnSGD(ps), 2);
    expect(calls).toEqual([]);
    // Two steps from sin(i + j) with gradients cos(3t + i·j): θ − 0.5·(g₀ + g₁).
    const want = SHAPES.map((s, i) =>
      Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, j) =>
        Math.fround(Math.sin(i + j) - 0.5 * Math.cos(i * j) - 0.5 * Math.cos(3 + i * j)),
      ),
    );
    expectSame(got, want);
  });

  it('leaves parameters, state and step counts untouched when the step throws', () => {
    setBackend(groupingCpu([], true));
    const p = tensor([1, 2, 3]).keep();
    const q = tensor([4, 5]).keep();
    for (const x of [p, q]) {
      x.requiresGrad = true;
      x.grad = tensor(x.shape[0] === 3 ? [0.1, 0.2, 0.3] : [0.4, 0.5]).keep();
    }
    const opt = new Adam([p, q], { lr: 0.1 });
    expect(() => opt.step()).toThrow(/failed on purpose/);
    expect(values(p)).toEqual([1, 2, 3]);
    expect(values(q)).toEqual([4, 5]);
    expect(opt.stepCount).toBe(0);
    expect(opt.getState(p)?.step ?? 0).toBe(0);
    // The moments the failed step made are gone, as if it never ran.
    expect(Object.keys(opt.getState(p)?.tensors ?? {})).toEqual([]);
    opt.dispose();
    for (const x of [p, q]) {
      x.grad?.dispose();
      x.dispose();
    }
  });
});
