import type { Tensor } from '@tensorflow/tfjs';
import { type TfBackend, useTfjs } from '../../frameworks/tfjs';
import type { SmallOpsFactory } from './runner';

export const tfjsSmallOps =
  (backend: TfBackend): SmallOpsFactory =>
  async (x0, steps) => {
    const tf = await useTfjs(backend);
    const start = tf.tensor1d(x0, 'float32');
    return {
      async run() {
        const y = tf.tidy(() => {
          let x: Tensor = start;
          for (let s = 0; s < steps; s++) x = x.add(1).mul(0.5);
          return x;
        });
        const data = await y.data();
        y.dispose();
        return data as Float32Array;
      },
      dispose: () => start.dispose(),
    };
  };
