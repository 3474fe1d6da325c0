import type { Array as JaxArray } from '@jax-js/jax';
import type { Jax, JaxDevice } from '../../frameworks/jax';
import type { SessionFactory } from '../../run/session';
import { type JaxModel, jaxAdamSession } from '../../sessions/jax-adam';
import { hwioToOihw, nhwcRowsToNchw } from './layout';

/** 2×2 max pooling, stride 2, over the two trailing (spatial) axes. */
function maxPool2(jax: Jax, x: JaxArray): JaxArray {
  return jax.lax.reduceWindow(x, (w) => jax.numpy.max(w), [2, 2], [2, 2]);
}

/** The convnet written for jax-js in NCHW (its native layout); the weights are the shared ones, re-laid out. */
export const jaxCnnModel: JaxModel = {
  params(jax, weights) {
    const np = jax.numpy;
    const [k1, b1, k2, b2, d1, e1, d2, e2] = weights.map((w) => w.values);
    return {
      k1: np.array(hwioToOihw(k1, 3, 3, 1, 32)).reshape([32, 1, 3, 3]),
      b1: np.array(b1).reshape([1, 32, 1, 1]),
      k2: np.array(hwioToOihw(k2, 3, 3, 32, 64)).reshape([64, 32, 3, 3]),
      b2: np.array(b2).reshape([1, 64, 1, 1]),
      d1: np.array(nhwcRowsToNchw(d1, 5, 5, 64, 128)).reshape([1600, 128]),
      e1: np.array(e1),
      d2: np.array(d2).reshape([128, 10]),
      e2: np.array(e2),
    };
  },
  // One channel: [n, 1, 28, 28] is the same memory as Keras' [n, 28, 28, 1].
  inputShape: (n) => [n, 1, 28, 28],
  loss(jax, p, x, y, key) {
    const { numpy: np, nn, lax } = jax;
    key.dispose(); // no dropout in this model
    const batch = x.shape[0];
    let h = maxPool2(jax, nn.relu(lax.conv(x, p.k1, [1, 1], 'VALID').add(p.b1)));
    h = maxPool2(jax, nn.relu(lax.conv(h, p.k2, [1, 1], 'VALID').add(p.b2)));
    h = nn.relu(np.matmul(h.reshape([batch, 1600]), p.d1).add(p.e1));
    const logits = np.matmul(h, p.d2).add(p.e2);
    return nn
      .logSoftmax(logits, -1)
      .mul(nn.oneHot(y, 10))
      .sum()
      .mul(-1 / batch);
  },
};

export const jaxCnn =
  (device: JaxDevice): SessionFactory =>
  (data, batchSize, weights) =>
    jaxAdamSession(device, jaxCnnModel, data, batchSize, weights);
