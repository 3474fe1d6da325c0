import type { Array as JaxArray } from '@jax-js/jax';
import type { TrainData } from '../data';
import { type Jax, type JaxDevice, useJax } from '../frameworks/jax';
import { ADAM, type TrainSession, type Weight } from '../run/session';

export type Params = Record<string, JaxArray>;

/** A model written for jax-js: its parameters (from the shared weights) and its loss. */
export interface JaxModel {
  /** Parameters as jax arrays, converted from the Keras-layout weights. */
  params(jax: Jax, weights: readonly Weight[]): Params;
  /** The shape of a batch of `n` inputs as the model takes it. */
  inputShape(n: number): number[];
  /**
   * Mean sparse categorical cross-entropy over the batch in training mode
   * (`key` seeds dropout). Takes ownership of every argument, as jax-js functions do.
   */
  loss(jax: Jax, p: Params, x: JaxArray, y: JaxArray, key: JaxArray): JaxArray;
}

/**
 * One jit-compiled training step: loss and gradients, then Adam with Keras'
 * defaults written out (jax-js has no built-in optimizer; @jax-js/optax is a
 * separate package), so the step fuses into as few kernels as jax-js can make.
 */
function makeStep(jax: Jax, model: JaxModel) {
  const { numpy: np, random } = jax;
  const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = ADAM;
  return jax.jit((p: Params, m: Params, v: Params, t: JaxArray, x: JaxArray, y: JaxArray, key: JaxArray) => {
    const keys = random.split(key, 2);
    const dropKey = keys.ref.slice(0);
    const nextKey = keys.slice(1);
    const [loss, g] = jax.valueAndGrad((q: Params, xb: JaxArray, yb: JaxArray, k: JaxArray) =>
      model.loss(jax, q, xb, yb, k),
    )(jax.tree.ref(p), x, y, dropKey);
    // Bias corrections 1 − β^t, from the step count t (an array, so the step is traced once).
    const bc1 = np.subtract(1, np.power(b1, t.ref));
    const bc2 = np.subtract(1, np.power(b2, t));
    const nextP: Params = {};
    const nextM: Params = {};
    const nextV: Params = {};
    for (const name of Object.keys(p)) {
      const gi = (g as Params)[name];
      const mi = m[name].mul(b1).add(gi.ref.mul(1 - b1));
      const vi = v[name].mul(b2).add(gi.ref.mul(gi).mul(1 - b2));
      nextP[name] = p[name].sub(
        mi.ref
          .div(bc1.ref)
          .mul(lr)
          .div(np.sqrt(vi.ref.div(bc2.ref)).add(eps)),
      );
      nextM[name] = mi;
      nextV[name] = vi;
    }
    bc1.dispose();
    bc2.dispose();
    return [nextP, nextM, nextV, loss, nextKey] as const;
  });
}

/** A jax-js model trained by a jit-compiled step with a hand-written Adam, from the shared weights, on `device`. */
export async function jaxAdamSession(
  device: JaxDevice,
  model: JaxModel,
  data: TrainData,
  batchSize: number,
  weights: readonly Weight[],
  seed = 0,
): Promise<TrainSession> {
  const jax = await useJax(device);
  const { numpy: np, random } = jax;
  let p = model.params(jax, weights);
  let m: Params = Object.fromEntries(Object.entries(p).map(([k, a]) => [k, np.zerosLike(a.ref)]));
  let v: Params = Object.fromEntries(Object.entries(p).map(([k, a]) => [k, np.zerosLike(a.ref)]));
  let key = random.key(seed);
  let t = 0;
  const x = np.array(data.images).reshape(model.inputShape(data.samples));
  const y = np.array(data.labels, { dtype: np.int32 });
  // Upload now, so the first timed step does not pay for it.
  await jax.blockUntilReady([x, y]);
  const step = makeStep(jax, model);
  return {
    async train(batches) {
      const n = Math.min(batches * batchSize, data.samples);
      const t0 = performance.now();
      let total = 0;
      for (let start = 0; start < n; start += batchSize) {
        const end = Math.min(start + batchSize, n);
        let loss: JaxArray;
        t += 1;
        [p, m, v, loss, key] = step(p, m, v, np.array(t), x.ref.slice([start, end]), y.ref.slice([start, end]), key);
        // Read every step's loss: jax-js is lazy, and left unread, thousands of queued steps
        // run about 20× slower per step (measured: 4.4 vs 99 ms at batch 32) than synced ones.
        total += (await loss.data())[0] * (end - start);
      }
      // Sync on the updated parameters too, so the last optimizer update is inside the time.
      await jax.blockUntilReady(p);
      const seconds = (performance.now() - t0) / 1000;
      return { seconds, loss: total / n };
    },
    dispose() {
      jax.tree.dispose([p, m, v, key, x, y]);
    },
  };
}
