import { type Tensor, tensor, tidy } from '@tsdl/tensor';
import { type TsdlBackend, useTsdl } from '../../frameworks/tsdl';
import type { SmallOpsFactory } from './runner';

export const tsdlSmallOps =
  (backend: TsdlBackend): SmallOpsFactory =>
  async (x0, steps) => {
    await useTsdl(backend);
    const start = tensor(x0, [x0.length], 'float32');
    return {
      async run() {
        // tidy frees the 2·steps intermediates; only the last survives it.
        const y = tidy(() => {
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
