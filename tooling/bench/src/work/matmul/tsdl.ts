import { dispose, matmul, tensor } from '@tsdl/tensor';
import { useTsdl } from '../../frameworks/tsdl';
import type { MatmulFactory } from './runner';

export const tsdlMatmul: MatmulFactory = async (a, b, n) => {
  useTsdl();
  const ta = tensor(a, [n, n], 'float32');
  const tb = tensor(b, [n, n], 'float32');
  return {
    async run() {
      const c = matmul(ta, tb);
      const data = await c.data();
      c.dispose();
      return data as Float32Array;
    },
    dispose: () => dispose([ta, tb]),
  };
};
