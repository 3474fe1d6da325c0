import { type Tensor, dispose, matmul, tensor } from '@tsdl/tensor';
import { type TsdlBackend, useTsdl } from '../../frameworks/tsdl';
import type { MatmulFactory } from './runner';

export const tsdlMatmul =
  (backend: TsdlBackend): MatmulFactory =>
  async (a, b, n) => {
    await useTsdl(backend);
    const ta = tensor(a, [n, n], 'float32');
    const tb = tensor(b, [n, n], 'float32');
    return {
      async run(reps) {
        let c: Tensor = matmul(ta, tb);
        for (let r = 1; r < reps; r++) {
          // Recorded in order on one queue: freeing a product that is still pending is safe.
          c.dispose();
          c = matmul(ta, tb);
        }
        const data = await c.data();
        c.dispose();
        return data as Float32Array;
      },
      dispose: () => dispose([ta, tb]),
    };
  };
