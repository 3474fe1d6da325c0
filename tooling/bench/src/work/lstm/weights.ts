import { glorotUniform, uniform } from '../../seeded';
import type { Weight } from '../../run/session';
import type { LstmShape } from './session';

/**
 * Initial weights of Embedding(vocab, embed) → LSTM(units) → Dense(1, sigmoid) in
 * Keras' layout and order (gates i, f, c, o along the LSTM's columns, which is also
 * PyTorch's i, f, g, o): embeddings uniform in ±0.05 and Glorot-uniform kernels as
 * Keras draws them; the recurrent kernel is Glorot-uniform too (Keras draws it
 * orthogonal: any seeded draw serves, since every framework gets these values);
 * the LSTM bias is zero but for ones on the forget gate (Keras' unitForgetBias).
 */
export function lstmWeights(s: LstmShape, seed = 21): Weight[] {
  const { vocab: v, embed: e, units: u } = s;
  const bias = new Float32Array(4 * u);
  bias.fill(1, u, 2 * u);
  return [
    { name: 'embedding/embeddings', shape: [v, e], values: uniform(v * e, seed, -0.05, 0.05) },
    { name: 'lstm/kernel', shape: [e, 4 * u], values: glorotUniform(e * 4 * u, e, 4 * u, seed + 1) },
    { name: 'lstm/recurrent_kernel', shape: [u, 4 * u], values: glorotUniform(u * 4 * u, u, 4 * u, seed + 2) },
    { name: 'lstm/bias', shape: [4 * u], values: bias },
    { name: 'dense/kernel', shape: [u, 1], values: glorotUniform(u, u, 1, seed + 3) },
    { name: 'dense/bias', shape: [1], values: new Float32Array(1) },
  ];
}
