import { dispose, matmul, tensor } from '@tsdl/tensor';
import { useTsdl } from '../../frameworks/tsdl';
import type { TransposedMatmulFactory } from './runner';

/** tsdl on its CPU backend: .transpose() is a strided view, so matmul meets the operand's strides, not a copy. */
export const tsdlTransposedMatmul: TransposedMatmulFactory = async (a, b, n, t) => {
  await useTsdl('cpu');
  const ta = tensor(a, [n, n], 'float32');
  const tb = tensor(b, [n, n], 'float32');
  return {
    async run() {
      const c = matmul(t.a ? ta.transpose() : ta, t.b ? tb.transpose() : tb);
      const data = await c.data();
      c.dispose();
      return data as Float32Array;
    },
    dispose: () => dispose([ta, tb]),
  };
};
