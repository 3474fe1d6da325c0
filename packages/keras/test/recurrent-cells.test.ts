import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Dense,
  Embedding,
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  Layer,
  RNN,
  Sequential,
  SimpleRNN,
  SimpleRNNCell,
  StackedRNNCells,
  modelFromArtifacts,
  modelToArtifacts,
  registerLayer,
} from '../src/index';
import { expectValues, flat, seeded, thrown, useCpu } from './helpers';

useCpu();

type Kind = 'SimpleRNN' | 'LSTM' | 'GRU' | 'GRU (resetAfter false)';
const PAIRS: Record<Kind, { layer: (o: object) => Layer; cell: (o: object) => Layer }> = {
  SimpleRNN: { layer: (o) => new SimpleRNN({ units: 3, ...o }), cell: (o) => new SimpleRNNCell({ units: 3, ...o }) },
  LSTM: { layer: (o) => new LSTM({ units: 3, ...o }), cell: (o) => new LSTMCell({ units: 3, ...o }) },
  GRU: { layer: (o) => new GRU({ units: 3, ...o }), cell: (o) => new GRUCell({ units: 3, ...o }) },
  'GRU (resetAfter false)': {
    layer: (o) => new GRU({ units: 3, resetAfter: false, ...o }),
    cell: (o) => new GRUCell({ units: 3, resetAfter: false, ...o }),
  },
};
const outs = (y: Tensor | Tensor[]): number[][] => (Array.isArray(y) ? y : [y]).map(flat);

describe('RNN(cell) computes what the recurrent layer computes', () => {
  for (const [kind, p] of Object.entries(PAIRS)) {
    it(`${kind}: same seed → same weights and outputs, under every sequence option, a mask and initial states`, () => {
      const x = seeded([2, 5, 4], 3);
      const mask = tensor([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [2, 5], 'bool');
      for (const seq of [
        { returnSequences: true },
        { returnState: true, goBackwards: true },
        { returnSequences: true, returnState: true, zeroOutputForMask: true },
      ]) {
        const layer = p.layer({ seed: 7, ...seq, activation: 'tanh', biasInitializer: 'ones' });
        const rnn = new RNN(p.cell({ seed: 7, activation: 'tanh', biasInitializer: 'ones' }), seq);
        layer.eval();
        rnn.eval();
        const a = layer.call(x, { mask }) as Tensor | Tensor[];
        const b = rnn.call(x, { mask }) as Tensor | Tensor[];
        expect(rnn.namedWeights().map(([n, w]) => [n, flat(w)])).toEqual(
          layer.namedWeights().map(([n, w]) => [`cell/${n}`, flat(w)]),
        );
        // The LSTM layer runs its sequence as one op (lstm-sequence.ts): the same float32 ops, but
        // on these tiny rows the CPU's kernel rounds c = f·c₋₁ + i·g once, not per op.
        const close = { atol: 1e-6, rtol: 1e-6 };
        const want0 = outs(a);
        outs(b).forEach((o, k) => expectValues(o, want0[k], close));
        const states = (Array.isArray(a) ? a.slice(1) : []) as Tensor[];
        if (states.length > 0) {
          const init = states.map((s) => s.mul(0.5));
          const want = outs(layer.call(x, { initialState: init }) as Tensor[]);
          outs(rnn.call(x, { initialState: init }) as Tensor[]).forEach((o, k) => expectValues(o, want[k], close));
        }
      }
    });

    it(`${kind}: setWeights from the layer, and dropout in training with one seed, agree`, () => {
      const x = seeded([3, 4, 2], 5);
      const layer = p.layer({ dropout: 0.3, recurrentDropout: 0.4, seed: 2 });
      const rnn = new RNN({ cell: p.cell({ dropout: 0.3, recurrentDropout: 0.4, seed: 2 }) });
      layer.call(x);
      rnn.call(x);
      rnn.setWeights(layer.getWeights().map((w) => w.mul(1.5)));
      layer.setWeights(layer.getWeights().map((w) => w.mul(1.5)));
      // Both are in training mode (a new module's default): the seeded masks are drawn alike.
      expect(flat(rnn.call(x) as Tensor)).toEqual(flat(layer.call(x) as Tensor));
      layer.eval();
      rnn.eval();
      // In eval mode the LSTM layer is one op whose gate kernels may run the CPU's SIMD exp/tanh,
      // the cell's tiny [3, u] rows the JavaScript ones: close, not bit for bit.
      expectValues(rnn.call(x) as Tensor, flat(layer.call(x) as Tensor), { atol: 1e-6, rtol: 1e-6 });
    });
  }

  it('a cell call is one step of the layer: [output, newStates]', () => {
    const x = seeded([2, 1, 4], 8);
    const layer = new LSTM({ units: 3, returnState: true, seed: 1 });
    layer.eval();
    const [y, h, c] = layer.call(x) as Tensor[];
    const cell = new LSTMCell({ units: 3, seed: 1 });
    cell.eval();
    const [out, states] = cell.call(x.reshape([2, 4]), cell.getInitialState(2)) as unknown as [Tensor, Tensor[]];
    // The layer's one op and the cell's step may run different exp/tanh kernels (SIMD or JavaScript).
    const close = { atol: 1e-6, rtol: 1e-6 };
    expectValues(out, flat(y), close);
    states.forEach((s, k) => expectValues(s, flat([h, c][k]), close));
    expect(out).not.toBe(states[0]);
  });
});

describe('StackedRNNCells', () => {
  it('equals two stacked layers (the first returning sequences)', () => {
    const x = seeded([2, 5, 3], 4);
    const l1 = new GRU({ units: 4, returnSequences: true, seed: 1 });
    const l2 = new LSTM({ units: 2, returnState: true, seed: 3 });
    const rnn = new RNN([new GRUCell({ units: 4, seed: 1 }), new LSTMCell({ units: 2, seed: 3 })], {
      returnState: true,
    });
    for (const l of [l1, l2, rnn]) l.eval();
    const [y, h, c] = l2.call(l1.call(x) as Tensor) as Tensor[];
    const r = rnn.call(x) as Tensor[];
    expect(rnn.cell).toBeInstanceOf(StackedRNNCells);
    expect((rnn.cell as StackedRNNCells).stateSize).toEqual([4, 2, 2]);
    expect(r).toHaveLength(4);
    // One rounding apart at most: the LSTM layer runs its sequence as one op (see above).
    expectValues(r[0], flat(y), { atol: 1e-6, rtol: 1e-6 });
    expectValues(r[2], flat(h));
    expectValues(r[3], flat(c));
    expect(rnn.namedWeights().map(([n]) => n)).toEqual([
      'cell/cells_0/kernel',
      'cell/cells_0/recurrent_kernel',
      'cell/cells_0/bias',
      'cell/cells_1/kernel',
      'cell/cells_1/recurrent_kernel',
      'cell/cells_1/bias',
    ]);
  });
});

/** A cell of one's own: the running sum of its inputs times a weight, and the step count. */
class SumCell extends Layer {
  readonly stateSize = [2, 1];
  readonly outputSize = 2;
  w!: Tensor;
  override get className(): string {
    return 'SumCell';
  }
  override build(): void {
    this.w = this.addWeight('w', [2], 'ones');
    this.built = true;
  }
  override forward(x: Tensor, states: Tensor[]): [Tensor, Tensor[]] {
    const s = states[0].add(x.mul(this.w));
    return [s, [s, states[1].add(1)]];
  }
}
registerLayer('SumCell', SumCell);

describe('a custom cell', () => {
  it('runs step by step: running sums, states, masks', () => {
    const rnn = new RNN(new SumCell(), { returnSequences: true, returnState: true });
    const x = tensor([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60], [2, 3, 2]);
    const [y, s, n] = rnn.call(x, { mask: tensor([1, 1, 1, 1, 0, 1], [2, 3], 'bool') }) as Tensor[];
    expect(flat(y)).toEqual([1, 2, 4, 6, 9, 12, 10, 20, 10, 20, 60, 80]);
    expect(flat(s)).toEqual([9, 12, 60, 80]);
    expect(flat(n)).toEqual([3, 2]);
  });

  it('saves and loads once registered', async () => {
    const m = new Sequential([new RNN(new SumCell(), { inputShape: [3, 2] }), new Dense({ units: 1, seed: 1 })]);
    const x = seeded([2, 3, 2]);
    const back = await modelFromArtifacts(await modelToArtifacts(m));
    expect(flat(back.predict(x))).toEqual(flat(m.predict(x)));
  });

  it('a cell without stateSize, or returning the wrong thing, is refused by name', () => {
    class NoState extends Layer {
      override forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => new RNN(new NoState({ name: 'ns' }))).toThrow(/ns \(NoState\): a recurrent cell needs stateSize/);
    class Bad extends Layer {
      readonly stateSize = 2;
      override forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => new RNN(new Bad({ name: 'bad' })).call(seeded([1, 2, 2]))).toThrow(
      /bad \(Bad\): a cell's call must return \[output, newStates\]/,
    );
  });
});

describe('training, gradients, save and load', () => {
  it('gradients by finite differences through RNN(GRUCell) (input, kernel, recurrent kernel, bias)', async () => {
    const rnn = new RNN(new GRUCell({ units: 2, seed: 4, biasInitializer: 'random_normal' }));
    const x = seeded([2, 3, 2], 6);
    rnn.call(x);
    const cell = rnn.cell as GRUCell;
    await gradCheck(
      (a: Tensor, k: Tensor, r: Tensor, b: Tensor) => {
        const saved = [cell.kernel, cell.recurrentKernel, cell.bias] as const;
        [cell.kernel, cell.recurrentKernel, cell.bias] = [k, r, b];
        try {
          return rnn.call(a) as Tensor;
        } finally {
          [cell.kernel, cell.recurrentKernel, cell.bias] = saved;
        }
      },
      [x, cell.kernel, cell.recurrentKernel, cell.bias as Tensor],
    );
  });

  it('Embedding(maskZero) → RNN(LSTMCell) → Dense saves and loads with equal predictions', async () => {
    const m = new Sequential([
      new Embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputShape: [4], seed: 1 }),
      new RNN(
        new StackedRNNCells([
          new LSTMCell({ units: 4, seed: 2 }),
          new SimpleRNNCell({ units: 2, activation: 'relu', seed: 3 }),
        ]),
        { goBackwards: true },
      ),
      new Dense({ units: 1, seed: 4 }),
    ]);
    const x = tensor([1, 2, 0, 0, 3, 4, 5, 1], [2, 4], 'int32');
    const before = flat(m.predict(x));
    const back = await modelFromArtifacts(await modelToArtifacts(m));
    expect(back.layers[1].getConfig()).toEqual(m.layers[1].getConfig());
    expect(back.namedModelWeights().map(([n]) => n)).toEqual(m.namedModelWeights().map(([n]) => n));
    expect(flat(back.predict(x))).toEqual(before);
    // The mask reaches the RNN: padding changes nothing.
    m.eval();
    expectValues(before.slice(0, 1), flat(m.call(tensor([1, 2], [1, 2], 'int32')) as Tensor));
  });

  it('configs: Keras defaults, snake_case accepted, unknown options and stateful refused', () => {
    const c = new LSTMCell({ units: 2, recurrent_activation: 'hard_sigmoid' } as never);
    expect(c.getConfig()).toMatchObject({
      units: 2,
      activation: 'tanh',
      recurrentActivation: 'hard_sigmoid',
      useBias: true,
      unitForgetBias: true,
      kernelInitializer: 'glorot_uniform',
      recurrentInitializer: 'orthogonal',
      biasInitializer: 'zeros',
      dropout: 0,
      recurrentDropout: 0,
    });
    expect(new GRUCell(3).getConfig()).toMatchObject({ units: 3, resetAfter: true });
    expect(new RNN(new SimpleRNNCell(2)).getConfig()).toMatchObject({
      cell: { className: 'SimpleRNNCell' },
      returnSequences: false,
      returnState: false,
      goBackwards: false,
      stateful: false,
      unroll: false,
    });
    expect(() => new GRUCell({ units: 3, returnSequences: true } as never)).toThrow(
      /GRUCell: unknown option 'returnSequences'/,
    );
    expect(() => new RNN(new GRUCell(3), { stateful: true })).toThrow(/stateful RNNs are not supported/);
    expect(() => new RNN({ cell: 3 } as never)).toThrow(/cell must be a recurrent cell/);
    expect(() => new SimpleRNNCell({ units: 0 })).toThrow(/units must be a positive integer/);
  });

  it('errors name the layer and the shapes, and free what they made', async () => {
    const rnn = new RNN(new LSTMCell(3), { name: 'r' });
    rnn.call(seeded([2, 4, 2]));
    const [x3, x2, h] = [seeded([2, 4, 3]), seeded([2, 4]), seeded([2, 5])];
    const cases: [() => unknown, RegExp][] = [
      [() => rnn.call(x3), /r \(RNN\): input has 3 features but the cell was built for 2/],
      [() => rnn.call(x2), /r \(RNN\): expects input of rank 3/],
      [
        () => rnn.call(seeded([2, 4, 2]), { initialState: [h, h] }),
        /r \(RNN\): initialState\[0\] has shape \[2,5\] but expected \[2,3\]/,
      ],
      [
        () => rnn.call(seeded([2, 4, 2]), { initialState: h }),
        /r \(RNN\): initialState must be a list \[h, c\] of 2 tensors/,
      ],
      [() => (rnn.cell as LSTMCell).call(x2.reshape([4, 2]), [h]), /lstm_cell.*states must be a list of 2 tensors/],
    ];
    for (const [fn, re] of cases) {
      const before = memory().numTensors;
      const e = await thrown(fn);
      expect(e.message).toMatch(re);
      expect([ShapeError, ArgumentError].some((c) => e instanceof c)).toBe(true);
      // The seeded input a case makes inline is the only new tensor.
      expect(memory().numTensors - before).toBeLessThanOrEqual(1);
    }
  });
});
