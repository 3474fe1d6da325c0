import { ArgumentError, ShapeError, type Tensor, gelu, memory, tensor, tidy, zeros } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  GELU,
  LayerNorm,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
} from '../src/index';
import { loadFixtures, makeDecoder, makeEncoder } from './attention-fixtures';
import { detTensor, expectClose, useCpu } from './helpers';

useCpu();

/**
 * The Transformer layers beyond the PyTorch parity cases: state-dict names
 * and order (PyTorch's), the encoder's and decoder's copies of their layer,
 * options (bias, activation modules), training-mode dropout, memory under
 * tidy, and bad calls.
 */

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

describe('Transformer layers: parameters', () => {
  it("state-dict names, order and shapes are PyTorch's (every encoder and decoder fixture)", () => {
    const fx = loadFixtures();
    for (const c of [
      ...fx.encoder.map((e) => [e, makeEncoder(e)] as const),
      ...fx.decoder.map((d) => [d, makeDecoder(d)] as const),
    ]) {
      const [fixture, m] = c;
      const dict = m.stateDict();
      expect(Object.keys(dict), fixture.name).toEqual(Object.keys(fixture.stateDict));
      for (const [k, v] of Object.entries(fixture.stateDict))
        expect(dict[k].shape, `${fixture.name}: ${k}`).toEqual(v.shape);
      m.dispose();
    }
  });

  it('defaults: dimFeedforward 2048, dropout 0.1, relu, eps 1e-5, post-norm, seq-first', () => {
    const layer = new TransformerEncoderLayer(8, 2);
    expect(layer.config).toMatchObject({
      dimFeedforward: 2048,
      dropout: 0.1,
      activation: 'relu',
      layerNormEps: 1e-5,
      normFirst: false,
      batchFirst: false,
      bias: true,
    });
    expect(layer.linear1.weight.shape).toEqual([2048, 8]);
    expect(layer.dropout.p).toBe(0.1);
    expect(layer.selfAttn.dropout).toBe(0.1);
    expect(layer.norm1.eps).toBe(1e-5);
    expect(layer.toString()).toContain('(self_attn): MultiheadAttention(embedDim=8, numHeads=2');
    layer.dispose();
  });

  it('bias: false drops every bias (PyTorch 2.1+ names)', () => {
    const layer = new TransformerDecoderLayer({ dModel: 8, nhead: 2, dimFeedforward: 4, bias: false });
    expect(Object.keys(layer.stateDict())).toEqual([
      'self_attn.in_proj_weight',
      'self_attn.out_proj.weight',
      'multihead_attn.in_proj_weight',
      'multihead_attn.out_proj.weight',
      'linear1.weight',
      'linear2.weight',
      'norm1.weight',
      'norm2.weight',
      'norm3.weight',
    ]);
    layer.dispose();
  });

  it("the stack's layers start as copies of the given layer and then change independently", () => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, seed: 4 });
    const w0 = Array.from(layer.linear1.weight.dataSync());
    const enc = new TransformerEncoder(layer, 3, { norm: new LayerNorm(8) });
    const layers = [...enc.layers] as TransformerEncoderLayer[];
    expect(layers[0]).toBe(layer);
    for (const l of layers) expect(Array.from(l.linear1.weight.dataSync())).toEqual(w0);
    expect(enc.numParameters()).toBe(3 * layer.numParameters() + 16);
    tidy(() => layers[1].linear1.weight.assign(zeros([16, 8])));
    expect(Array.from(layers[0].linear1.weight.dataSync())).toEqual(w0);
    expect(Array.from(layers[2].linear1.weight.dataSync())).toEqual(w0);
    expect(Object.keys(enc.stateDict()).slice(-2)).toEqual(['norm.weight', 'norm.bias']);
    enc.dispose();
    expect(layer.isDisposed).toBe(true);

    const dl = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    dl.eval();
    const dec = new TransformerDecoder(dl, 2);
    expect(([...dec.layers] as TransformerDecoderLayer[]).map((l) => l.training)).toEqual([false, false]);
    expect(Object.keys(dec.stateDict())[0]).toBe('layers.0.self_attn.in_proj_weight');
    dec.dispose();
  });

  it("an activation Module is registered as 'activation' and used; 'gelu' is the exact GELU", () => {
    tidy(() => {
      const act = new GELU({ approximate: 'tanh' });
      const a = new TransformerEncoderLayer(8, 2, { dimFeedforward: 8, activation: act, seed: 1 }).eval();
      const b = new TransformerEncoderLayer(8, 2, {
        dimFeedforward: 8,
        activation: (x) => gelu(x, 'tanh'),
        seed: 1,
      }).eval();
      const c = new TransformerEncoderLayer(8, 2, { dimFeedforward: 8, activation: 'gelu', seed: 1 }).eval();
      expect(a.namedChildren().map(([k]) => k)).toContain('activation');
      expect(b.namedChildren().map(([k]) => k)).not.toContain('activation');
      const x = detTensor([3, 2, 8], 21);
      const ya = a.call(x);
      expectClose(b.call(x), ya.dataSync(), 1e-6, 1e-6);
      // Exact and tanh GELU differ a little, so the layers' outputs do too.
      const diff = c.call(x).sub(ya).abs().max().dataSync()[0];
      expect(diff).toBeGreaterThan(1e-7);
      for (const m of [a, b, c]) m.dispose();
    });
  });
});

describe('Transformer layers: forward', () => {
  it('shapes: seq-first, batch-first and unbatched give the same numbers', () => {
    tidy(() => {
      const sf = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, seed: 3 }).eval();
      const bf = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true, seed: 3 }).eval();
      const x = detTensor([4, 2, 8], 22);
      const y = sf.call(x, { isCausal: true });
      expect(y.shape).toEqual([4, 2, 8]);
      const yb = bf.call(x.transpose([1, 0, 2]), { isCausal: true });
      expectClose(yb.transpose([1, 0, 2]), y.dataSync(), 1e-6, 1e-6);
      const x0 = x.slice([0, 1, 0], [4, 2, 8]).reshape([4, 8]);
      expectClose(sf.call(x0, { isCausal: true }), y.slice([0, 1, 0], [4, 2, 8]).dataSync(), 1e-6, 1e-6);
      sf.dispose();
      bf.dispose();
    });
  });

  it('a causal decoder: changing a later target position leaves earlier outputs unchanged', () => {
    tidy(() => {
      const dec = new TransformerDecoder(new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, seed: 6 }), 2).eval();
      const mem = detTensor([5, 1, 8], 23);
      const t = detTensor([4, 1, 8], 24);
      const t2 = t.add(tensor([0, 0, 0, 1]).reshape([4, 1, 1]));
      const a = dec.call(t, mem, { tgtIsCausal: true }).dataSync();
      const b = dec.call(t2, mem, { tgtIsCausal: true }).dataSync();
      expectClose(b.slice(0, 24), Array.from(a.slice(0, 24)), 1e-6, 1e-6);
      expect(Math.abs(b[24] - a[24])).toBeGreaterThan(1e-4);
      dec.dispose();
    });
  });

  it('dropout in training mode changes the output, reproducibly with a seed; eval turns it off', () => {
    tidy(() => {
      const x = detTensor([3, 2, 8], 25);
      const a = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.5, seed: 8 });
      const b = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.5, seed: 8 });
      const ya = a.call(x).dataSync();
      expect(Array.from(b.call(x).dataSync())).toEqual(Array.from(ya));
      a.eval();
      const e1 = a.call(x).dataSync();
      expectClose(a.call(x), e1, 0, 0);
      expect(Array.from(e1)).not.toEqual(Array.from(ya));
      a.dispose();
      b.dispose();
    });
  });

  it('forward + backward under tidy leaves memory unchanged (encoder and decoder, training, masks)', () => {
    const enc = new TransformerEncoder(
      new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, normFirst: true, seed: 1 }),
      2,
      { norm: new LayerNorm(8) },
    );
    const dec = new TransformerDecoder(
      new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, activation: 'gelu', seed: 2 }),
      2,
    );
    const src = detTensor([5, 2, 8], 26);
    src.requiresGrad = true;
    const tgt = detTensor([4, 2, 8], 27);
    const kpm = tensor([false, false, false, false, true, false, false, false, true, true], [2, 5], 'bool');
    for (let step = 0; step < 3; step++) {
      const before = memory();
      tidy(() => {
        const mem = enc.call(src, { srcKeyPaddingMask: kpm });
        const out = dec.call(tgt, mem, { tgtIsCausal: true, memoryKeyPaddingMask: kpm });
        out.square().mean().backward();
      });
      enc.zeroGrad();
      dec.zeroGrad();
      src.zeroGrad();
      const after = memory();
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
    }
    for (const t of [src, tgt, kpm]) t.dispose();
    enc.dispose();
    dec.dispose();
  });
});

describe('Transformer layers: bad input', () => {
  it('constructor options', () => {
    expectThrow(
      () => new TransformerEncoderLayer(10, 4),
      ArgumentError,
      'TransformerEncoderLayer: dModel 10 must be divisible by nhead 4',
    );
    expectThrow(
      () => new TransformerEncoderLayer(8, 2, { dim_feedforward: 4 } as never),
      ArgumentError,
      "TransformerEncoderLayer: unknown option 'dim_feedforward'",
    );
    expectThrow(
      () => new TransformerDecoderLayer(8, 2, { activation: 'tanh' } as never),
      ArgumentError,
      "TransformerDecoderLayer: activation must be 'relu', 'gelu', a function or a Module",
    );
    expectThrow(
      () => new TransformerDecoderLayer(8, 2, { dropout: -0.1 }),
      ArgumentError,
      'TransformerDecoderLayer: dropout must be a probability',
    );
    expectThrow(
      () => new TransformerEncoderLayer(8, 2, { layerNormEps: 0 }),
      ArgumentError,
      'TransformerEncoderLayer: layerNormEps must be a number > 0',
    );
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 4 });
    expectThrow(
      () => new TransformerEncoder(layer, 0),
      ArgumentError,
      'TransformerEncoder: numLayers must be a positive integer',
    );
    const norm = new LayerNorm(8);
    expectThrow(
      () => new TransformerEncoder(layer, 2, { nrom: norm } as never),
      ArgumentError,
      "TransformerEncoder: unknown option 'nrom'",
    );
    expectThrow(
      () => new TransformerEncoder(layer, 2, { norm: 'layer' } as never),
      ArgumentError,
      'TransformerEncoder: norm must be a Module',
    );
    norm.dispose();
    expectThrow(
      () => new TransformerDecoder(layer as never, 2),
      ArgumentError,
      'TransformerDecoder: decoderLayer must be a TransformerDecoderLayer',
    );
    layer.dispose();
  });

  it('inputs and masks that do not fit', () => {
    const enc = new TransformerEncoderLayer(8, 2, { dimFeedforward: 4, seed: 1 });
    const dec = new TransformerDecoderLayer(8, 2, { dimFeedforward: 4, batchFirst: true, seed: 1 });
    const x6 = detTensor([3, 2, 6]);
    const x = detTensor([3, 2, 8]);
    const m = zeros([3, 3], 'bool');
    const m44 = zeros([4, 4], 'bool');
    const kpm = zeros([3, 3], 'bool');
    const mem5 = detTensor([2, 4, 5]);
    expectThrow(
      () => enc.call(x6),
      ShapeError,
      'TransformerEncoderLayer: src must be [S, N, 8] or unbatched [S, 8] (dModel = 8), got [3,2,6]',
    );
    expectThrow(
      () => enc.call(x, { mask: m44 }),
      ShapeError,
      'MultiheadAttention: attnMask has shape [4,4], expected [3,3] (L, S)',
    );
    expectThrow(
      () => enc.call(x, { srcKeyPaddingMask: kpm }),
      ShapeError,
      'MultiheadAttention: keyPaddingMask has shape [3,3], expected [2,3] (N, S)',
    );
    expectThrow(
      () => enc.call(x, { mask: m, srcMask: m }),
      ArgumentError,
      'TransformerEncoderLayer: pass mask or srcMask, not both',
    );
    expectThrow(
      () => enc.call(x, { src_mask: m } as never),
      ArgumentError,
      "TransformerEncoderLayer: unknown option 'src_mask' in forward options",
    );
    expectThrow(
      () => dec.call(x, mem5),
      ShapeError,
      'TransformerDecoderLayer: memory must be [N, S, 8]',
      'got [2,4,5]',
    );
    expectThrow(
      () => dec.call(x, x, { tgtIsCausal: 'yes' } as never),
      ArgumentError,
      'TransformerDecoderLayer: tgtIsCausal must be a boolean',
    );
    for (const t of [x6, x, m, m44, kpm, mem5] as Tensor[]) t.dispose();
    enc.dispose();
    dec.dispose();
  });
});
