import { type TfBackend, useTfjs } from '../../frameworks/tfjs';
import type { MatmulFactory } from './runner';

export const tfjsMatmul =
  (backend: TfBackend): MatmulFactory =>
  async (a, b, n) => {
    const tf = await useTfjs(backend);
    const ta = tf.tensor2d(a, [n, n], 'float32');
    const tb = tf.tensor2d(b, [n, n], 'float32');
    return {
      async run(reps) {
        let c = tf.matMul(ta, tb);
        for (let r = 1; r < reps; r++) {
          // Queued in order: tfjs releases a disposed tensor's GPU buffer only after its pending work.
          c.dispose();
          c = tf.matMul(ta, tb);
        }
        const data = await c.data();
        c.dispose();
        return data as Float32Array;
      },
      dispose: () => tf.dispose([ta, tb]),
    };
  };
