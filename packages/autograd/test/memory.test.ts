import { backward, gradients, grad, valueAndGrad } from '@tsdl/autograd';
import { type Tensor, exp, matmul, memory, mul, relu, sum, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { expectValues, leaf, useCpu } from './helpers';

useCpu();

/** Live tensor handles and backend storages, to compare before and after. */
const snapshot = () => {
  const m = memory();
  return { tensors: m.numTensors, buffers: Object.values(m.backends).reduce((n, b) => n + b.buffers, 0) };
};

/** A small model's loss: the graph saves inputs and outputs of several ops. */
const lossOf = (w: Tensor, x: Tensor) => sum(exp(mul(relu(matmul(x, w)), 0.5)));

describe('memory', () => {
  it('backward inside tidy leaks nothing: only the kept .grad survives, and zeroGrad frees it', () => {
    const w = leaf(
      tensor([
        [0.5, -1],
        [2, 0.25],
        [-0.3, 1],
      ]),
    );
    const x = tensor([
      [1, 2, 3],
      [0, -1, 2],
    ]);
    const before = snapshot();
    tidy(() => {
      lossOf(w, x).backward();
    });
    const after = snapshot();
    expect(after.tensors).toBe(before.tensors + 1); // w.grad
    expect(after.buffers).toBe(before.buffers + 1);
    expect(w.grad!.isDisposed).toBe(false);
    w.zeroGrad();
    expect(snapshot()).toEqual(before);
    w.dispose();
    x.dispose();
  });

  it('steps of a training loop keep memory flat', () => {
    const w = leaf(
      tensor([
        [0.5, -1],
        [2, 0.25],
        [-0.3, 1],
      ]),
    );
    const x = tensor([
      [1, 2, 3],
      [0, -1, 2],
    ]);
    const counts: { tensors: number; buffers: number }[] = [];
    for (let step = 0; step < 5; step++) {
      tidy(() => {
        lossOf(w, x).backward();
        w.assign(w.sub(mul(w.grad!, 0.01)));
        w.zeroGrad();
      });
      counts.push(snapshot());
    }
    expect(new Set(counts.map((c) => `${c.tensors}/${c.buffers}`)).size).toBe(1);
    w.dispose();
    x.dispose();
  });

  it('a graph outlives tidy() through its result and is freed with it', () => {
    const w = leaf(
      tensor([
        [0.5, -1],
        [2, 0.25],
        [-0.3, 1],
      ]),
    );
    const x = tensor([
      [1, 2, 3],
      [0, -1, 2],
    ]);
    const before = snapshot();
    const loss = tidy(() => lossOf(w, x)); // intermediates' handles are disposed here …
    expect(snapshot().tensors).toBe(before.tensors + 1);
    expect(snapshot().buffers).toBeGreaterThan(before.buffers + 1); // … but their saved storages are not
    loss.dispose(); // the last handle of the graph: everything it saved is freed
    expect(snapshot()).toEqual(before);
    w.dispose();
    x.dispose();
  });

  it('backward frees the saved tensors of the graph it ran through', () => {
    const w = leaf(
      tensor([
        [0.5, -1],
        [2, 0.25],
        [-0.3, 1],
      ]),
    );
    const x = tensor([
      [1, 2, 3],
      [0, -1, 2],
    ]);
    const before = snapshot();
    const loss = tidy(() => lossOf(w, x));
    loss.backward();
    // Left: the loss and w.grad.
    expect(snapshot()).toEqual({ tensors: before.tensors + 2, buffers: before.buffers + 2 });
    loss.dispose();
    w.zeroGrad();
    expect(snapshot()).toEqual(before);
    w.dispose();
    x.dispose();
  });

  it('gradients, grad and valueAndGrad inside tidy leak nothing', () => {
    const w = tensor([
      [0.5, -1],
      [2, 0.25],
      [-0.3, 1],
    ]);
    const x = tensor([
      [1, 2, 3],
      [0, -1, 2],
    ]);
    const before = snapshot();
    tidy(() => {
      const wl = leaf(w.detach());
      gradients(lossOf(wl, x), [wl]);
      grad(lossOf)(w, x);
      valueAndGrad(lossOf, [0, 1])(w, x);
    });
    expect(snapshot()).toEqual(before);
    // Outside tidy the results are the caller's to dispose, and nothing else remains.
    const g = grad(lossOf)(w, x) as Tensor;
    expect(snapshot()).toEqual({ tensors: before.tensors + 1, buffers: before.buffers + 1 });
    g.dispose();
    expect(snapshot()).toEqual(before);
    w.dispose();
    x.dispose();
  });

  it('a second-order backward (createGraph) leaks nothing once its tensors are disposed', () => {
    const x = leaf(tensor([1, 2]));
    const before = snapshot();
    tidy(() => {
      backward(sum(mul(mul(x, x), x)), undefined, { createGraph: true });
      const g = x.grad!; // 3x², with a graph back to x
      x.grad = null;
      sum(g).backward();
      expectValues(x.grad, [6, 12], 0, 0); // d²/dx² x³ = 6x
      g.dispose(); // .grad tensors are kept from tidy, so the caller disposes them
      x.zeroGrad();
    });
    expect(snapshot()).toEqual(before);
    x.dispose();
  });
});
