import { type TfBackend, useTfjs } from '../../frameworks/tfjs';
import type { TransposedMatmulFactory } from './runner';

/** TF.js takes the transposes as matMul's flags, which its kernels read directly. */
export const tfjsTransposedMatmul =
  (backend: TfBackend): TransposedMatmulFactory =>
  async (a, b, n, t) => {
    const tf = await useTfjs(backend);
    const ta = tf.tensor2d(a, [n, n], 'float32');
    const tb = tf.tensor2d(b, [n, n], 'float32');
    return {
      async run() {
        const c = tf.matMul(ta, tb, t.a, t.b);
        const data = await c.data();
        c.dispose();
        return data as Float32Array;
      },
      dispose: () => tf.dispose([ta, tb]),
    };
  };
