/**
 * A small Transformer block as a functional model: TokenAndPositionEmbedding
 * (maskZero) → causal self-attention + residual → LayerNormalization → Dense
 * → pooling → classifier. It trains with fit, its padding masks reach the
 * attention, and it saves and loads with its call options and weights.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Tensor, add, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Dense,
  GlobalAveragePooling1D,
  Input,
  Layer,
  LayerNormalization,
  MultiHeadAttention,
  SymbolicTensor,
  TokenAndPositionEmbedding,
  loadModel,
  model,
  registerLayer,
} from '../src/index';
import { expectValues, flat, useCpu, useTempDir } from './helpers';

useCpu();
const dir = useTempDir();

/** The residual sum of two same-shaped inputs (a stand-in until Keras' Add layer exists); keeps the first input's mask. */
class TestResidual extends Layer {
  override get className(): string {
    return 'TestResidual';
  }
  override applySymbolic(inputs: SymbolicTensor[]): SymbolicTensor {
    return new SymbolicTensor(inputs[0].shape, this, inputs, inputs[0].masked);
  }
  override forward(_x: Tensor): Tensor {
    throw new Error('TestResidual runs only as a node of a functional model');
  }
  override runNode(inputs: Tensor[], masks: (Tensor | null)[]): { output: Tensor; mask: Tensor | null } {
    return { output: add(inputs[0], inputs[1]), mask: masks[0] };
  }
}
registerLayer('TestResidual', TestResidual);

const T = 6;
const VOCAB = 8;

function block(causal = true) {
  const inp = Input({ shape: [T] });
  const e = new TokenAndPositionEmbedding({
    vocabularySize: VOCAB,
    sequenceLength: T,
    embeddingDim: 8,
    maskZero: true,
    seed: 1,
  }).apply(inp);
  const a = new MultiHeadAttention({ numHeads: 2, keyDim: 4, seed: 2 }).apply(
    e,
    e,
    causal ? { useCausalMask: true } : undefined,
  );
  let h = new TestResidual().apply(e, a);
  h = new LayerNormalization().apply(h);
  h = new Dense({ units: 8, activation: 'relu', seed: 3 }).apply(h);
  h = new GlobalAveragePooling1D().apply(h);
  return model({ inputs: inp, outputs: new Dense({ units: 2, activation: 'softmax', seed: 4 }).apply(h) });
}

/** Sequences of tokens 1..7 padded with 0 to T; the label is whether the first token is above 4. */
function data(n: number): { x: Tensor; y: Tensor; seqs: number[][] } {
  const seqs: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = 2 + (i % (T - 1));
    const s = Array.from({ length: len }, (_, j) => 1 + ((i * 5 + j * 3 + ((i * j) % 4)) % 7));
    seqs.push(s);
    labels.push(s[0] > 4 ? 1 : 0);
  }
  const x = tensor(
    seqs.flatMap((s) => [...s, ...new Array(T - s.length).fill(0)]),
    [n, T],
    'int32',
  );
  return { x, y: tensor(labels, [n], 'int32'), seqs };
}

describe('a Transformer block in a functional model', () => {
  it('records the attention node with both inputs and its call options', () => {
    const m = block();
    // One node (Keras' inbound_nodes layout): [layer, node, tensor, call options] for the query and the value.
    const entry = (m.getConfig().layers as { className: string; inboundNodes: unknown[][][] }[]).find(
      (l) => l.className === 'MultiHeadAttention',
    );
    expect(entry?.inboundNodes).toHaveLength(1);
    expect(entry?.inboundNodes[0]).toHaveLength(2);
    expect(entry?.inboundNodes[0].map((ref) => ref[3])).toEqual([{ useCausalMask: true }, { useCausalMask: true }]);
    // Embeddings 8·8 + 6·8, attention 4 × (8·2·4 + 2·4), LayerNormalization 2·8, Dense 8·8 + 8 and 8·2 + 2.
    expect(m.summary(false)).toMatch(/Total params: 506\b/);
  });

  it("padding does not change a sequence's prediction (the masks reach the attention)", () => {
    // Without the causal mask, so that only the padding masks keep the real steps from attending to the padding.
    const m = block(false);
    const { x, seqs } = data(6);
    const y = flat(m.predict(x));
    m.eval();
    seqs.forEach((s, b) =>
      expectValues(
        y.slice(2 * b, 2 * b + 2),
        flat(m.call(tensor(s, [1, s.length], 'int32')) as Tensor),
        { atol: 1e-5, rtol: 1e-4 },
        `sequence ${b}`,
      ),
    );
  });

  it('trains with fit (the loss falls), and save/load gives identical predictions', async () => {
    const m = block();
    m.compile({
      optimizer: { className: 'adam', config: { learningRate: 0.01 } },
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
    });
    const { x, y } = data(64);
    const h = await m.fit(x, y, { epochs: 12, batchSize: 16, verbose: 0, seed: 5 });
    const loss = h.history.loss;
    expect(loss[loss.length - 1]).toBeLessThan(0.6 * loss[0]);
    expect(h.history.accuracy[loss.length - 1]).toBeGreaterThan(0.8);

    await m.save(dir());
    const config = JSON.parse(await readFile(join(dir(), 'config.json'), 'utf8'));
    expect(JSON.stringify(config)).toContain('"useCausalMask":true');
    const loaded = await loadModel(dir());
    expect(flat(loaded.predict(x))).toEqual(flat(m.predict(x)));
    const names = loaded.namedModelWeights().map(([n]) => n);
    expect(names.filter((n) => n.includes('multi_head_attention'))).toHaveLength(8);
    expect(names.some((n) => n.endsWith('/attention_output/kernel'))).toBe(true);
    expect(names.some((n) => n.endsWith('/position_embedding/embeddings'))).toBe(true);
  });
});
