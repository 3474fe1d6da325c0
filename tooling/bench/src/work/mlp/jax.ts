import type { JaxDevice } from '../../frameworks/jax';
import type { SessionFactory } from '../../run/session';
import { type JaxModel, jaxAdamSession } from '../../sessions/jax-adam';

const KEEP = 0.8; // dropout rate 0.2

/** The MLP written for jax-js: the same layers as arithmetic, dropout from a split key. */
export const jaxMlpModel: JaxModel = {
  params(jax, weights) {
    const np = jax.numpy;
    const [w1, b1, w2, b2] = weights.map((w) => np.array(w.values).reshape(w.shape));
    return { w1, b1, w2, b2 };
  },
  inputShape: (n) => [n, 784],
  loss(jax, p, x, y, key) {
    const { numpy: np, nn, random } = jax;
    const batch = x.shape[0];
    let h = nn.relu(np.matmul(x, p.w1).add(p.b1));
    const keep = random.bernoulli(key, KEEP, h.shape);
    h = np.where(keep, h.mul(1 / KEEP), 0);
    const logits = np.matmul(h, p.w2).add(p.b2);
    return nn
      .logSoftmax(logits, -1)
      .mul(nn.oneHot(y, 10))
      .sum()
      .mul(-1 / batch);
  },
};

export const jaxMlp =
  (device: JaxDevice): SessionFactory =>
  (data, batchSize, weights) =>
    jaxAdamSession(device, jaxMlpModel, data, batchSize, weights);
