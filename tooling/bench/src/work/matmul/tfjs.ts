import { type TfBackend, useTfjs } from '../../frameworks/tfjs';
import type { MatmulFactory } from './runner';

export const tfjsMatmul =
  (backend: TfBackend): MatmulFactory =>
  async (a, b, n) => {
    const tf = await useTfjs(backend);
    const ta = tf.tensor2d(a, [n, n], 'float32');
    const tb = tf.tensor2d(b, [n, n], 'float32');
    return {
      async run() {
        const c = tf.matMul(ta, tb);
        const data = await c.data();
        c.dispose();
        return data as Float32Array;
      },
      dispose: () => tf.dispose([ta, tb]),
    };
  };
