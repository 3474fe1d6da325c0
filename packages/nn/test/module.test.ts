import { ArgumentError, DisposedError, ShapeError, type Tensor, memory, tensor, tidy, zeros } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { BatchNorm1d, Dropout, Linear, Module, ModuleList, ReLU, Sequential, parameter } from '../src/index';
import { expectClose, gradCheck, useCpu } from './helpers';

useCpu();

class MLP extends Module {
  readonly fc1: Linear;
  readonly act: ReLU;
  readonly fc2: Linear;
  constructor() {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(3, 4, { seed: 1 }));
    this.act = this.registerModule('act', new ReLU());
    this.fc2 = this.registerModule('fc2', new Linear(4, 2, { seed: 2 }));
  }
  override forward(x: Tensor): Tensor {
    return tidy(() => this.fc2.call(this.act.call(this.fc1.call(x))));
  }
}

class Scale extends Module {
  readonly s: Tensor;
  readonly count: Tensor;
  constructor() {
    super();
    this.s = this.registerParameter('s', tensor([2]));
    this.count = this.registerBuffer('count', tensor([0], [1], 'int32'));
  }
  override forward(x: Tensor): Tensor {
    return x.mul(this.s);
  }
}

describe('Module', () => {
  it('names parameters with dotted paths in registration order', () => {
    const m = new MLP();
    expect(m.namedParameters().map(([k]) => k)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(m.parameters().map((p) => p.shape)).toEqual([[4, 3], [4], [2, 4], [2]]);
    expect(m.children()).toEqual([m.fc1, m.act, m.fc2]);
    expect(m.namedChildren().map(([k]) => k)).toEqual(['fc1', 'act', 'fc2']);
    expect(m.namedModules().map(([k]) => k)).toEqual(['', 'fc1', 'act', 'fc2']);
    expect(m.numParameters()).toBe(12 + 4 + 8 + 2);
    m.dispose();
  });

  it('Sequential names children 0, 1, … and chains them', () => {
    const seq = new Sequential(new Linear(2, 3, { seed: 0 }), new ReLU(), new Linear(3, 1, { seed: 1 }));
    expect(seq.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(seq.length).toBe(3);
    expect(seq.at(-1)).toBeInstanceOf(Linear);
    const x = tensor([
      [1, 2],
      [3, -4],
    ]);
    const y = seq.call(x);
    const l0 = seq.at(0) as Linear;
    const l2 = seq.at(2) as Linear;
    const ref = tidy(() => l2.call(l0.call(x).relu()));
    expectClose(y, Array.from(ref.dataSync()));
    expect(y.shape).toEqual([2, 1]);
    // Gradients flow through the chain (Sequential frees intermediate handles; the graph keeps what it needs).
    const xg = tensor([
      [1, 2],
      [3, -4],
      [0.5, 0.25],
    ]);
    xg.requiresGrad = true;
    gradCheck(() => seq.call(xg), [xg, ...seq.parameters()]);
    xg.dispose();
    // Nested Sequential names
    const outer = new Sequential(seq, new Linear(1, 1, { seed: 3 }));
    expect(outer.namedParameters().map(([k]) => k)).toEqual([
      '0.0.weight',
      '0.0.bias',
      '0.2.weight',
      '0.2.bias',
      '1.weight',
      '1.bias',
    ]);
    outer.dispose();
    for (const t of [x, y, ref]) t.dispose();
  });

  it('parameters are kept leaves that require grad, and survive tidy', () => {
    let m!: Linear;
    tidy(() => {
      m = new Linear(2, 2, { seed: 0 });
    });
    for (const p of m.parameters()) {
      expect(p.requiresGrad).toBe(true);
      expect(p.isLeaf).toBe(true);
      expect(p.isDisposed).toBe(false);
    }
    const p = parameter(zeros([2]));
    expect(p.requiresGrad).toBe(true);
    expect(p.isKept).toBe(true);
    p.dispose();
    expect(() => parameter(tensor([1], [1], 'int32'))).toThrow(/float32/);
    m.dispose();
  });

  it('train() and eval() propagate to every descendant', () => {
    const inner = new Sequential(new Dropout(0.5), new BatchNorm1d(2));
    const outer = new Sequential(new Linear(2, 2), inner);
    expect(outer.modules().every((m) => m.training)).toBe(true);
    expect(outer.eval()).toBe(outer);
    expect(outer.modules().every((m) => !m.training)).toBe(true);
    outer.train();
    expect(outer.modules().every((m) => m.training)).toBe(true);
    outer.train(false);
    expect(inner.at(1).training).toBe(false);
    outer.dispose();
  });

  it('stateDict holds parameters and buffers; loadStateDict round-trips', () => {
    const a = new Sequential(new Linear(3, 2, { seed: 1 }), new BatchNorm1d(2));
    const sd = a.stateDict();
    expect(Object.keys(sd)).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
    ]);
    // Change a's batch-norm statistics by a training step so buffers are non-trivial.
    tidy(() => {
      a.call(
        tensor([
          [1, 2, 3],
          [0, -1, 4],
          [2, 2, 2],
        ]),
      );
    });
    const b = new Sequential(new Linear(3, 2, { seed: 99 }), new BatchNorm1d(2));
    const bWeight = b.at(0).parameters()[0];
    const res = b.loadStateDict(a.stateDict());
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(b.at(0).parameters()[0]).toBe(bWeight); // same tensor object, new values
    for (const [k, t] of Object.entries(a.stateDict())) {
      expect(Array.from(b.stateDict()[k].dataSync())).toEqual(Array.from(t.dataSync()));
    }
    expect(b.stateDict()['1.num_batches_tracked'].item()).toBe(1);
    expect(b.stateDict()['1.num_batches_tracked'].dtype).toBe('int32');
    // Later updates of a do not leak into b (storage is shared only until replaced).
    const before = Array.from(b.stateDict()['1.running_mean'].dataSync());
    tidy(() => {
      a.call(
        tensor([
          [5, 5, 5],
          [1, 1, 1],
        ]),
      );
    });
    expect(Array.from(b.stateDict()['1.running_mean'].dataSync())).toEqual(before);
    a.dispose();
    b.dispose();
  });

  it('strict loading names missing and unexpected keys; shapes are always checked', () => {
    const m = new MLP();
    const sd = { ...m.stateDict() };
    const bias = sd['fc1.bias'];
    delete sd['fc1.bias'];
    expect(() => m.loadStateDict(sd)).toThrow(ArgumentError);
    expect(() => m.loadStateDict(sd)).toThrow(/missing keys: 'fc1\.bias'/);
    const extra = tensor([1]);
    expect(() => m.loadStateDict({ ...m.stateDict(), 'fc3.weight': extra })).toThrow(/unexpected keys: 'fc3\.weight'/);
    const r = m.loadStateDict({ ...sd, 'fc3.weight': extra }, { strict: false });
    expect(r).toEqual({ missingKeys: ['fc1.bias'], unexpectedKeys: ['fc3.weight'] });
    const wrong = zeros([3, 4]);
    expect(() => m.loadStateDict({ ...m.stateDict(), 'fc1.weight': wrong })).toThrow(ShapeError);
    expect(() => m.loadStateDict({ ...m.stateDict(), 'fc1.weight': wrong })).toThrow(/'fc1\.weight'.*\[3,4\].*\[4,3\]/);
    expect(() => m.loadStateDict({ ...m.stateDict(), 'fc1.weight': wrong }, { strict: false })).toThrow(ShapeError);
    expect(bias.isDisposed).toBe(false);
    for (const t of [extra, wrong]) t.dispose();
    m.dispose();
  });

  it('loading is all-or-nothing: a bad key changes nothing', () => {
    const m = new Scale();
    const good = tensor([5]);
    const bad = tensor([1, 2], [2], 'int32');
    expect(() => m.loadStateDict({ s: good, count: bad })).toThrow(ShapeError);
    expect(m.s.item()).toBe(2);
    const c = tensor([3], [1], 'int32');
    m.loadStateDict({ s: good, count: c });
    expect(m.s.item()).toBe(5);
    expect(m.count.item()).toBe(3);
    for (const t of [good, bad, c]) t.dispose();
    m.dispose();
  });

  it('buffers are not parameters; non-persistent buffers stay out of stateDict', () => {
    class B extends Module {
      constructor() {
        super();
        this.registerBuffer('keep', tensor([1]));
        this.registerBuffer('scratch', tensor([2]), { persistent: false });
      }
      override forward(x: Tensor): Tensor {
        return x;
      }
    }
    const b = new B();
    expect(b.parameters()).toEqual([]);
    expect(b.namedBuffers().map(([k]) => k)).toEqual(['keep', 'scratch']);
    expect(Object.keys(b.stateDict())).toEqual(['keep']);
    b.dispose();
  });

  it('rejects duplicate and dotted names', () => {
    const m = new Scale();
    expect(() => m.registerParameter('s', tensor([1]))).toThrow(/already registered/);
    expect(() => m.registerModule('a.b', new ReLU())).toThrow(/without dots/);
    m.dispose();
  });

  it('shared parameters are listed once', () => {
    const l = new Linear(2, 2);
    const seq = new Sequential(l, new ReLU(), l);
    expect(seq.parameters().length).toBe(2);
    expect(seq.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias']);
    seq.dispose();
  });

  it('call, asFunction, zeroGrad, requiresGrad(false) and dispose', () => {
    const m = new Scale();
    const f = m.asFunction();
    const x = tensor([1, 2, 3]);
    const y = f(x);
    expectClose(y, [2, 4, 6]);
    tidy(() => m.call(x).sum().backward());
    expect(m.s.grad?.item()).toBe(6);
    m.zeroGrad();
    expect(m.s.grad).toBeNull();
    m.requiresGrad(false);
    expect(m.s.requiresGrad).toBe(false);
    m.requiresGrad();
    const s = m.s;
    m.dispose();
    expect(s.isDisposed).toBe(true);
    expect(m.isDisposed).toBe(true);
    expect(() => m.call(x)).toThrow(DisposedError);
    x.dispose();
    y.dispose();
  });

  it('dispose frees every tensor the module owns', () => {
    const before = memory().numTensors;
    const m = new Sequential(new Linear(4, 3), new BatchNorm1d(3), new ReLU(), new Linear(3, 1));
    expect(memory().numTensors).toBe(before + 2 + 5 + 2);
    m.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('ModuleList registers children', () => {
    const list = new ModuleList([new Linear(1, 1), new Linear(1, 1, { bias: false })]);
    expect(list.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias', '1.weight']);
    expect([...list].length).toBe(2);
    expect(() => list.forward()).toThrow(/no forward/);
    list.dispose();
  });

  it('toString prints the tree', () => {
    const m = new Sequential(new Linear(2, 3), new ReLU());
    expect(m.toString()).toBe('Sequential(\n  (0): Linear(inFeatures=2, outFeatures=3, bias=true)\n  (1): ReLU()\n)');
    m.dispose();
  });
});
