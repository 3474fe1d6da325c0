import { ArgumentError, DTypeError, DisposedError, ShapeError, type Tensor, memory, tensor, zeros } from '@tsdl/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell } from '../src/index';
import { detTensor, useCpu } from './helpers';

useCpu();

/** Bad calls name the layer, the argument and the shapes, and free what they made. */

function expectThrow(f: () => unknown, type: new (...a: never[]) => Error, ...parts: string[]): void {
  const before = memory();
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ${type.name}`).toBeInstanceOf(type);
  for (const p of parts) expect((err as Error).message).toContain(p);
  const after = memory();
  expect(after.numTensors, 'live tensors after the error').toBe(before.numTensors);
  expect(after.numBytes, 'bytes after the error').toBe(before.numBytes);
}

describe('recurrent layers: bad input', () => {
  let lstm: LSTM;
  let gru: GRU;
  let x: Tensor;
  beforeAll(() => {
    lstm = new LSTM(4, 3, { numLayers: 2, bidirectional: true, seed: 1 });
    gru = new GRU(4, 3, { batchFirst: true, seed: 2 });
    x = detTensor([5, 2, 4]); // [seq 5, batch 2, features 4]
  });
  afterAll(() => {
    lstm.dispose();
    gru.dispose();
    x.dispose();
  });

  it('input of the wrong rank or feature size', () => {
    const x4 = detTensor([1, 5, 2, 4]);
    const x1 = detTensor([4]);
    const x5 = detTensor([5, 2, 5]);
    expectThrow(() => lstm.call(x4), ShapeError, 'LSTM: input must be 3-D [seq, batch, features] or 2-D', '[1,5,2,4]');
    expectThrow(() => gru.call(x1), ShapeError, 'GRU: input must be 3-D [batch, seq, features]', '[4]');
    expectThrow(() => lstm.call(x5), ShapeError, 'LSTM: input has 5 features but inputSize is 4', '[5,2,5]');
    const xi = tensor([1, 2, 3, 4], [1, 1, 4], 'int32');
    expectThrow(() => lstm.call(xi), DTypeError, 'LSTM: input must be float32, got int32');
    for (const t of [x4, x1, x5, xi]) t.dispose();
  });

  it('initial states that do not fit', () => {
    const h = zeros([4, 2, 3]);
    const c = zeros([4, 2, 3]);
    const hBad = zeros([2, 2, 3]);
    const cBad = zeros([4, 3, 3]);
    expectThrow(
      () => lstm.call(x, [hBad, c]),
      ShapeError,
      'LSTM: h0 has shape [2,2,3] but expected [4,2,3]',
      'numLayers·numDirections',
    );
    expectThrow(() => lstm.call(x, [h, cBad]), ShapeError, 'LSTM: c0 has shape [4,3,3] but expected [4,2,3]');
    expectThrow(
      () => lstm.call(x, h as unknown as [Tensor, Tensor]),
      ArgumentError,
      'LSTM: the initial state must be a pair [h0, c0]',
    );
    // GRU is batch-first, but its state is [layers·directions, batch, hidden] as in PyTorch.
    const g = zeros([2, 1, 3]);
    const xb = detTensor([2, 5, 4]);
    expectThrow(() => gru.call(xb, g), ShapeError, 'GRU: h0 has shape [2,1,3] but expected [1,2,3]');
    // Unbatched input takes 2-D states.
    const xu = detTensor([5, 4]);
    const h3 = zeros([1, 1, 3]);
    expectThrow(() => gru.call(xu, h3), ShapeError, 'GRU: h0 has shape [1,1,3] but expected [1,3]');
    for (const t of [h, c, hBad, cBad, g, xb, xu, h3]) t.dispose();
  });

  it('lengths of the wrong count, too long, < 1 or not integers', () => {
    expectThrow(
      () => lstm.call(x, null, { lengths: [5, 2, 3] }),
      ShapeError,
      'LSTM: got 3 lengths for a batch of 2 sequences',
    );
    expectThrow(() => lstm.call(x, null, { lengths: [6, 2] }), ArgumentError, 'LSTM: lengths[0] is 6', 'in [1, 5]');
    expectThrow(() => lstm.call(x, null, { lengths: [5, 0] }), ArgumentError, 'LSTM: lengths[1] is 0');
    expectThrow(() => lstm.call(x, null, { lengths: [2.5, 1] }), ArgumentError, 'lengths[0] is 2.5');
    expectThrow(
      () => lstm.call(x, null, { lengths: 3 as unknown as number[] }),
      ArgumentError,
      'LSTM: lengths must be an array',
    );
    const lt = tensor([5, 2], [2], 'int32');
    expectThrow(
      () => lstm.call(x, null, { lengths: lt as unknown as number[] }),
      ArgumentError,
      'LSTM: lengths must be an array of integers, got a Tensor of shape [2]',
    );
    lt.dispose();
  });

  it('unknown forward options', () => {
    expectThrow(
      () => lstm.call(x, null, { length: [5, 5] } as never),
      ArgumentError,
      "LSTM: unknown option 'length' in forward options",
      'lengths',
    );
  });

  it('a disposed layer', () => {
    const r = new RNN(2, 2);
    r.dispose();
    const xr = detTensor([3, 1, 2]);
    expectThrow(() => r.call(xr), DisposedError, 'RNN');
    xr.dispose();
  });
});

describe('recurrent layers: bad options', () => {
  it('unknown names, bad sizes and values', () => {
    expectThrow(
      () => new LSTM(4, 3, { batch_first: true } as never),
      ArgumentError,
      "LSTM: unknown option 'batch_first'",
      'batchFirst',
    );
    expectThrow(() => new GRU(4, 3, { projSize: 2 } as never), ArgumentError, "GRU: unknown option 'projSize'");
    expectThrow(() => new LSTM(4, 3, { projSize: 3 }), ArgumentError, 'LSTM: projSize must be smaller than hiddenSize');
    expectThrow(() => new LSTM(4, 3, { projSize: -1 }), ArgumentError, 'LSTM: projSize must be a positive integer');
    expectThrow(() => new RNN(4, 0), ArgumentError, 'RNN: hiddenSize must be a positive integer, got 0');
    expectThrow(() => new RNN(2.5, 3), ArgumentError, 'RNN: inputSize must be a positive integer, got 2.5');
    expectThrow(() => new RNN(4, 3, { numLayers: 0 }), ArgumentError, 'RNN: numLayers must be a positive integer');
    expectThrow(() => new RNN(4, 3, { dropout: 1.5 }), ArgumentError, 'RNN: dropout must be a number in [0, 1]');
    expectThrow(
      () => new RNN(4, 3, { nonlinearity: 'sigmoid' as never }),
      ArgumentError,
      "RNN: nonlinearity must be 'tanh' or 'relu'",
    );
    expectThrow(
      () => new RNN(4, 3, { bidirectional: 1 as never }),
      ArgumentError,
      'RNN: bidirectional must be a boolean',
    );
    expectThrow(
      () => new GRU({ inputSize: 4 } as never),
      ArgumentError,
      'GRU: hiddenSize must be a positive integer, got undefined',
    );
    expectThrow(
      () => new (GRU as unknown as new (...a: unknown[]) => GRU)({ inputSize: 4, hiddenSize: 3 }, 3),
      ArgumentError,
      'GRU: pass either',
    );
    expectThrow(
      () => new GRUCell(3, 2, { numLayers: 2 } as never),
      ArgumentError,
      "GRUCell: unknown option 'numLayers'",
    );
  });
});

describe('cells: bad input', () => {
  it('wrong rank, features or state shape', () => {
    const cell = new LSTMCell(3, 2, { seed: 0 });
    const rnn = new RNNCell(3, 2, { seed: 1 });
    const x = detTensor([4, 3]);
    const x3 = detTensor([1, 4, 3]);
    const x2 = detTensor([4, 2]);
    const h = zeros([4, 2]);
    const hBad = zeros([3, 2]);
    expectThrow(() => cell.call(x3), ShapeError, 'LSTMCell: input must be 2-D [batch, features] or 1-D', '[1,4,3]');
    expectThrow(() => rnn.call(x2), ShapeError, 'RNNCell: input has 2 features but inputSize is 3');
    expectThrow(() => rnn.call(x, hBad), ShapeError, 'RNNCell: h0 has shape [3,2] but expected [4,2]');
    expectThrow(() => cell.call(x, [h, hBad]), ShapeError, 'LSTMCell: c0 has shape [3,2] but expected [4,2]');
    expectThrow(() => cell.call(x, [h] as never), ArgumentError, 'LSTMCell: the state must be a pair [h, c]');
    for (const t of [x, x3, x2, h, hBad]) t.dispose();
    cell.dispose();
    rnn.dispose();
  });
});
