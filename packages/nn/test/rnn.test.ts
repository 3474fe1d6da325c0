import { noGrad } from '@tsdl/autograd';
import { type Tensor, concat, memory, randn, slice, stack, tensor, tidy, zeros } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { GRU, GRUCell, LSTM, LSTMCell, Linear, RNN, RNNCell, mseLoss } from '../src/index';
import { det, detTensor, expectClose, gradCheck, useCpu } from './helpers';
import { loadCases } from './rnn-fixtures';

useCpu();

const read = (t: Tensor): number[] => Array.from(t.dataSync());

describe('recurrent layers: README', () => {
  it('the LSTM example gives the shapes it states, with zeros at the padded steps', () => {
    const lstm = new LSTM(3, 8, { numLayers: 2, bidirectional: true, batchFirst: true });
    tidy(() => {
      const x = randn([2, 4, 3]);
      const [output, [hN, cN]] = lstm.call(x, null, { lengths: [4, 2] });
      expect(output.shape).toEqual([2, 4, 16]);
      expect(hN.shape).toEqual([4, 2, 8]);
      expect(cN.shape).toEqual([4, 2, 8]);
      expect(read(slice(output, [1, 2], [2, 4]))).toEqual(new Array(2 * 16).fill(0));
      expect(read(slice(output, [0, 2], [1, 4])).every((v) => v !== 0)).toBe(true);
    });
    lstm.dispose();
  });
});

describe('recurrent layers: parameters', () => {
  it("names, shapes and order match PyTorch's state dict (LSTM, 2 layers, bidirectional, projSize)", () => {
    const c = loadCases('lstm').find((k) => k.name === 'LSTM projSize 2 2 layers, bidirectional, batch-first, no h0');
    expect(c).toBeDefined();
    const m = new LSTM(4, 3, { numLayers: 2, bidirectional: true, batchFirst: true, projSize: 2 });
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(Object.keys(c!.stateDict));
    for (const [k, v] of Object.entries(c!.stateDict)) expect(sd[k].shape, k).toEqual(v.shape);
    expect(sd.weight_ih_l1.shape).toEqual([12, 4]); // layer 1 reads both directions' projected outputs
    expect(sd.weight_hr_l0_reverse.shape).toEqual([2, 3]);
    m.dispose();
  });

  it('GRU and RNN without bias, and the cells, have exactly the PyTorch keys', () => {
    const g = new GRU(3, 5, { bias: false, numLayers: 2 });
    expect(Object.keys(g.stateDict())).toEqual(['weight_ih_l0', 'weight_hh_l0', 'weight_ih_l1', 'weight_hh_l1']);
    expect(g.stateDict().weight_ih_l1.shape).toEqual([15, 5]);
    const cell = new LSTMCell(3, 2);
    expect(Object.entries(cell.stateDict()).map(([k, v]) => [k, v.shape])).toEqual([
      ['weight_ih', [8, 3]],
      ['weight_hh', [8, 2]],
      ['bias_ih', [8]],
      ['bias_hh', [8]],
    ]);
    g.dispose();
    cell.dispose();
  });

  it('init is U(±1/√hidden) for every parameter; a seed reproduces it', () => {
    const a = new LSTM(6, 16, { numLayers: 2, bidirectional: true, seed: 5 });
    const b = new LSTM(6, 16, { numLayers: 2, bidirectional: true, seed: 5 });
    const c = new LSTM(6, 16, { numLayers: 2, bidirectional: true, seed: 6 });
    const bound = 1 / Math.sqrt(16);
    for (const [k, p] of a.namedParameters()) {
      const v = read(p);
      expect(Math.max(...v.map(Math.abs)), k).toBeLessThanOrEqual(bound);
      // Spread over the range (not a constant, not a narrower distribution).
      expect(Math.max(...v) - Math.min(...v), k).toBeGreaterThan(bound);
      expect(read(b.stateDict()[k]), k).toEqual(v);
      expect(read(c.stateDict()[k]), k).not.toEqual(v);
    }
    // Different parameters get different values from one seed.
    expect(read(a.stateDict().bias_ih_l0)).not.toEqual(read(a.stateDict().bias_hh_l0));
    for (const m of [a, b, c]) m.dispose();
  });

  it('the options-object constructor equals the positional one; toString shows the options', () => {
    const a = new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: 'relu', numLayers: 2, seed: 1 });
    const b = new RNN(3, 4, { nonlinearity: 'relu', numLayers: 2, seed: 1 });
    for (const [k, p] of a.namedParameters()) expect(read(p), k).toEqual(read(b.stateDict()[k]));
    expect(a.toString()).toBe("RNN(3, 4, numLayers=2, nonlinearity='relu')");
    const l = new LSTM(3, 4, { projSize: 2, batchFirst: true, bidirectional: true, dropout: 0.5, bias: false });
    expect(l.toString()).toBe('LSTM(3, 4, projSize=2, bias=false, batchFirst=true, dropout=0.5, bidirectional=true)');
    expect(new GRUCell(2, 3, { bias: false }).toString()).toBe('GRUCell(2, 3, bias=false)');
    for (const m of [a, b, l]) m.dispose();
  });
});

describe('recurrent layers: lengths', () => {
  // Two-layer bidirectional LSTM, batch-first; sequence 1 is 2 steps long, sequence 0 all 4.
  const T = 4;
  const build = (): LSTM => new LSTM(3, 2, { numLayers: 2, bidirectional: true, batchFirst: true, seed: 11 });

  it('padding values do not matter, padded outputs are 0, and each sequence equals it run alone', () => {
    const m = build();
    const real = det(2 * T * 3, 3);
    const padded = real.slice();
    for (let t = 2; t < T; t++) for (let f = 0; f < 3; f++) padded[(1 * T + t) * 3 + f] = 1000 * (t + f); // garbage
    tidy(() => {
      const [outA, [hA, cA]] = m.call(tensor(real, [2, T, 3]), null, { lengths: [T, 2] });
      const [outB, [hB, cB]] = m.call(tensor(padded, [2, T, 3]), null, { lengths: [T, 2] });
      expectClose(outB, read(outA), 0, 0);
      expectClose(hB, read(hA), 0, 0);
      expectClose(cB, read(cA), 0, 0);
      // Outputs of sequence 1 at steps 2 and 3 are exactly 0 in both directions.
      expect(read(slice(outA, [1, 2], [2, T]))).toEqual(new Array(2 * 4).fill(0));
      // Sequence 1 run alone on its 2 real steps, and sequence 0 alone.
      const [out1, [h1, c1]] = m.call(tensor(real.slice(T * 3, T * 3 + 2 * 3), [1, 2, 3]));
      const [out0, [h0]] = m.call(tensor(real.slice(0, T * 3), [1, T, 3]));
      expectClose(slice(outA, [1, 0], [2, 2]), read(out1), 1e-6, 1e-6);
      expectClose(slice(outA, [0], [1]), read(out0), 1e-6, 1e-6);
      // h_n [layers·directions, batch, hidden]: batch column 1 is the lone run's, column 0 the other's.
      expectClose(slice(hA, [0, 1], [4, 2]), read(h1), 1e-6, 1e-6);
      expectClose(slice(cA, [0, 1], [4, 2]), read(c1), 1e-6, 1e-6);
      expectClose(slice(hA, [0, 0], [4, 1]), read(h0), 1e-6, 1e-6);
    });
    m.dispose();
  });

  it('padded steps get zero gradient; gradients match finite differences', () => {
    const m = new GRU(2, 3, { bidirectional: true, seed: 4 });
    const x = tensor(det(3 * 2 * 2, 8), [3, 2, 2]);
    x.requiresGrad = true;
    tidy(() => {
      const [out, h] = m.call(x, null, { lengths: [1, 3] });
      out.sum().add(h.sum()).backward();
    });
    const g = read(x.grad as Tensor);
    // x[t, b=0, :] for t >= 1 is padding.
    for (const t of [1, 2]) expect(g.slice((t * 2 + 0) * 2, (t * 2 + 0) * 2 + 2)).toEqual([0, 0]);
    expect(g.slice(0, 2).some((v) => v !== 0)).toBe(true);
    x.zeroGrad();
    const h0 = tensor(det(2 * 2 * 3, 9), [2, 2, 3]);
    h0.requiresGrad = true;
    const f = (): Tensor => {
      const [out, h] = m.call(x, h0, { lengths: [1, 3] });
      return concat([out.reshape([-1]), h.reshape([-1])]);
    };
    gradCheck(f, [x, h0, ...m.parameters()]);
    for (const t of [x, h0]) t.dispose();
    m.dispose();
  });
});

describe('recurrent layers: behaviour', () => {
  it('cells in a hand-written loop give the layer’s outputs (LSTM, GRU, RNN relu)', () => {
    const x = detTensor([4, 2, 3], 2);
    const pairs = [
      [new LSTM(3, 5, { seed: 1 }), new LSTMCell(3, 5)],
      [new GRU(3, 5, { seed: 2 }), new GRUCell(3, 5)],
      [new RNN(3, 5, { nonlinearity: 'relu', seed: 3 }), new RNNCell(3, 5, { nonlinearity: 'relu' })],
    ] as const;
    for (const [layer, cell] of pairs) {
      const sd = layer.stateDict();
      cell.loadStateDict({
        weight_ih: sd.weight_ih_l0,
        weight_hh: sd.weight_hh_l0,
        bias_ih: sd.bias_ih_l0,
        bias_hh: sd.bias_hh_l0,
      });
      tidy(() => {
        const outs: Tensor[] = [];
        let h: Tensor | null = null;
        let c: Tensor | null = null;
        for (let t = 0; t < 4; t++) {
          const xt = slice(x, [t], [t + 1]).reshape([2, 3]);
          if (cell instanceof LSTMCell) [h, c] = cell.call(xt, h && c ? [h, c] : null);
          else h = (cell as GRUCell).call(xt, h);
          outs.push(h);
        }
        const [out, state] = (layer as GRU).call(x);
        expectClose(out, read(stack(outs)), 1e-6, 1e-6);
        expectClose(Array.isArray(state) ? state[0] : state, read(h as unknown as Tensor), 1e-6, 1e-6);
        if (c) expectClose((state as unknown as Tensor[])[1], read(c), 1e-6, 1e-6);
      });
      layer.dispose();
      cell.dispose();
    }
    x.dispose();
  });

  it('unbatched input equals a batch of one, with 2-D states', () => {
    const m = new LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2, seed: 9 });
    tidy(() => {
      const x = detTensor([5, 3], 3);
      const h0 = detTensor([4, 2], 4);
      const c0 = detTensor([4, 4], 5);
      const [out, [h, c]] = m.call(x, [h0, c0]);
      expect(out.shape).toEqual([5, 4]);
      expect(h.shape).toEqual([4, 2]);
      expect(c.shape).toEqual([4, 4]);
      const [outB, [hB, cB]] = m.call(x.reshape([5, 1, 3]), [h0.reshape([4, 1, 2]), c0.reshape([4, 1, 4])]);
      expectClose(out, read(outB), 0, 0);
      expectClose(h, read(hB), 0, 0);
      expectClose(c, read(cB), 0, 0);
    });
    m.dispose();
  });

  it('dropout acts between layers in training only: p = 1 leaves the last layer reading zeros', () => {
    const m = new GRU(3, 4, { numLayers: 2, dropout: 1, seed: 2 });
    const top = new GRU(4, 4);
    const sd = m.stateDict();
    top.loadStateDict({
      weight_ih_l0: sd.weight_ih_l1,
      weight_hh_l0: sd.weight_hh_l1,
      bias_ih_l0: sd.bias_ih_l1,
      bias_hh_l0: sd.bias_hh_l1,
    });
    const plain = new GRU(3, 4, { numLayers: 2, seed: 2 });
    tidy(() => {
      const x = detTensor([3, 2, 3], 6);
      const [outTrain] = m.call(x);
      const [outTop] = top.call(zeros([3, 2, 4]));
      expectClose(outTrain, read(outTop), 1e-6, 1e-6);
      m.eval();
      const [outEval] = m.call(x);
      const [outPlain] = plain.call(x);
      expectClose(outEval, read(outPlain), 0, 0);
      expect(read(outEval)).not.toEqual(read(outTrain));
    });
    for (const mod of [m, top, plain]) mod.dispose();
  });

  it('a forward + backward under tidy leaves memory() unchanged; inference under noGrad too', () => {
    const m = new LSTM(3, 4, {
      numLayers: 2,
      bidirectional: true,
      projSize: 2,
      dropout: 0.3,
      batchFirst: true,
      seed: 1,
    });
    const x = detTensor([3, 5, 3], 2);
    const h0 = detTensor([4, 3, 2], 3);
    const c0 = detTensor([4, 3, 4], 4);
    const step = (): void =>
      tidy(() => {
        const [out, [h, c]] = m.call(x, [h0, c0], { lengths: [5, 2, 4] });
        out.sum().add(h.sum()).add(c.sum()).backward();
        m.zeroGrad();
      });
    step(); // first call compiles kernels and may cache
    const before = memory();
    for (let i = 0; i < 3; i++) step();
    tidy(() => {
      noGrad(() => m.call(x, null, { lengths: [1, 5, 3] }));
    });
    const after = memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    // A call outside tidy leaves exactly its outputs alive.
    const n = memory().numTensors;
    const [out, [h, c]] = m.call(x);
    expect(memory().numTensors).toBe(n + 3);
    for (const t of [out, h, c, x, h0, c0]) t.dispose();
    m.dispose();
  });

  it('learns: a GRU + Linear regressing the running mean of a sequence, loss falls', () => {
    const gru = new GRU(1, 8, { batchFirst: true, seed: 3 });
    const head = new Linear(8, 1, { seed: 4 });
    const xs = det(16 * 6, 12);
    const x = tensor(xs, [16, 6, 1]);
    const y = tensor(
      Array.from({ length: 16 }, (_, b) => xs.slice(b * 6, b * 6 + 6).reduce((s, v) => s + v, 0) / 6),
      [16, 1],
    );
    const params = [...gru.parameters(), ...head.parameters()];
    const losses: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < 60; i++) {
      tidy(() => {
        const [, h] = gru.call(x);
        const loss = mseLoss(head.call(h.reshape([16, 8])), y);
        loss.backward();
        losses.push(loss.item());
        noGrad(() => {
          for (const p of params) {
            p.assign(p.sub((p.grad as Tensor).mul(0.5)));
            p.zeroGrad();
          }
        });
      });
      counts.push(memory().numTensors);
    }
    expect(losses[59]).toBeLessThan(losses[0] / 4);
    expect(new Set(counts).size).toBe(1);
    for (const t of [x, y]) t.dispose();
    gru.dispose();
    head.dispose();
  });
});
