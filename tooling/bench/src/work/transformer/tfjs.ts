import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { type TfBackend, useTfjs } from '../../frameworks/tfjs';
import { registerWasmSegmentSum } from '../lstm/tfjs-segment-sum';
import { ADAMW, type StepFactory } from './session';

/**
 * The app's GPT written with TF.js ops (TF.js has no attention layer): tf.variable
 * weights under the same names, tf.gather embeddings, LayerNorm by hand (no bias),
 * causal softmax attention from tf.matMul with an additive −1e9 mask above the
 * diagonal (tf.linalg.bandPart), exact GELU by its erf formula, logits tied to the
 * token embedding, mean cross-entropy from tf.logSoftmax. One step is tf.variableGrads,
 * clipping by the global norm (min(1, clip / (norm + 1e-6)), as PyTorch, without a
 * read-back) and AdamW by hand (tf.train.adam has no decoupled weight decay), then the
 * loss read back. On wasm, tf.gather's missing gradient kernel is filled in first.
 */
export const tfjsGpt =
  (backend: TfBackend): StepFactory =>
  async (shape, data, weights) => {
    const tf = await useTfjs(backend);
    if (backend === 'wasm') registerWasmSegmentSum(tf);
    const { batchSize: B, blockSize: T, nEmbd: E, nHead: H, nLayer: L, vocab: V } = shape;
    const D = E / H;
    const n = B * T;
    const vars = new Map<string, Variable>();
    for (const w of weights) vars.set(w.name, tf.variable(tf.tensor(w.values, w.shape, 'float32'), true));
    const list = [...vars.values()];
    const v = (name: string): Variable => {
      const x = vars.get(name);
      if (!x) throw new Error(`tfjs transformer: no weight '${name}'`);
      return x;
    };
    // nanoGPT's rule, as the app's decayGroups: every tensor of rank ≥ 2 decays.
    const decays = list.map((x) => x.rank >= 2);
    const m = list.map((x) => tf.variable(tf.zerosLike(x), false));
    const s = list.map((x) => tf.variable(tf.zerosLike(x), false));
    const positions = tf.range(0, T, 1, 'int32');
    const mask = tf.tidy(() =>
      tf
        .scalar(1)
        .sub(tf.linalg.bandPart(tf.ones([T, T]), -1, 0))
        .mul(-1e9),
    );
    const xs = data.x.map((x) => tf.tensor2d(x, [B, T], 'int32'));
    const ys = data.y.map((y) => tf.oneHot(tf.tensor1d(y, 'int32'), V));

    const layerNorm = (x: Tensor, w: Tensor): Tensor => {
      const d = x.sub(x.mean(-1, true));
      return d.mul(tf.rsqrt(d.square().mean(-1, true).add(1e-5))).mul(w);
    };
    // x [n, in] · Wᵀ with W [out, in], as a Linear without bias.
    const linear = (x: Tensor, w: Tensor): Tensor => tf.matMul(x, w, false, true);
    const heads = (t: Tensor): Tensor => t.reshape([B, T, H, D]).transpose([0, 2, 1, 3]);
    const attention = (x: Tensor, i: number): Tensor => {
      const [q, k, val] = tf.split(linear(x, v(`h.${i}.attn.c_attn.weight`)), 3, 1).map(heads);
      const att = tf.softmax(
        tf
          .matMul(q, k, false, true)
          .mul(1 / Math.sqrt(D))
          .add(mask),
      );
      const y = tf.matMul(att, val).transpose([0, 2, 1, 3]).reshape([n, E]);
      return linear(y, v(`h.${i}.attn.c_proj.weight`));
    };
    const gelu = (x: Tensor): Tensor => x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);
    const lossOf = (x: Tensor, y: Tensor) => (): Tensor => {
      let h = tf.gather(v('wte.weight'), x.reshape([n])).add(tf.gather(v('wpe.weight'), positions).tile([B, 1]));
      for (let i = 0; i < L; i++) {
        h = h.add(attention(layerNorm(h, v(`h.${i}.ln_1.weight`)), i));
        h = h.add(
          linear(
            gelu(linear(layerNorm(h, v(`h.${i}.ln_2.weight`)), v(`h.${i}.mlp.c_fc.weight`))),
            v(`h.${i}.mlp.c_proj.weight`),
          ),
        );
      }
      const logits = linear(layerNorm(h, v('ln_f.weight')), v('wte.weight'));
      return tf.logSoftmax(logits).mul(y).sum().div(-n);
    };
    let k = 0;
    let t = 0;
    return {
      async step() {
        const i = k++ % xs.length;
        const t0 = performance.now();
        t++;
        const loss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(lossOf(xs[i], ys[i]) as () => Scalar, list);
          const gs = list.map((x) => grads[x.name]);
          const norm = tf.sqrt(tf.addN(gs.map((g) => g.square().sum())));
          const scale = tf.minimum(1, tf.div(ADAMW.clip, norm.add(1e-6)));
          const [b1, b2] = ADAMW.betas;
          const bc1 = 1 - b1 ** t;
          const bc2 = Math.sqrt(1 - b2 ** t);
          list.forEach((p, j) => {
            const g = gs[j].mul(scale);
            const mj = m[j].mul(b1).add(g.mul(1 - b1));
            const sj = s[j].mul(b2).add(g.square().mul(1 - b2));
            m[j].assign(mj);
            s[j].assign(sj);
            const p0 = decays[j] ? p.mul(1 - ADAMW.lr * ADAMW.weightDecay) : p;
            p.assign(p0.sub(mj.div(sj.sqrt().div(bc2).add(ADAMW.eps)).mul(ADAMW.lr / bc1)));
          });
          return tf.keep(value);
        });
        const value = (await loss.data())[0];
        loss.dispose();
        return { seconds: (performance.now() - t0) / 1000, loss: value };
      },
      dispose() {
        tf.dispose([...list, ...m, ...s, positions, mask, ...xs, ...ys]);
      },
    };
  };
