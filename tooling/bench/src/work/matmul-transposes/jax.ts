import { useJax } from '../../frameworks/jax';
import type { TransposedMatmulFactory } from './runner';

/** jax-js on wasm: .transpose() is lazy, so the transpose may fuse into the product. */
export const jaxTransposedMatmul: TransposedMatmulFactory = async (a, b, n, t) => {
  const jax = await useJax('wasm');
  const np = jax.numpy;
  const ja = np.array(a).reshape([n, n]);
  const jb = np.array(b).reshape([n, n]);
  await jax.blockUntilReady([ja, jb]);
  return {
    async run() {
      // jax-js functions consume their arguments: .ref keeps the inputs for the next run.
      const opA = t.a ? ja.ref.transpose() : ja.ref;
      const opB = t.b ? jb.ref.transpose() : jb.ref;
      return (await np.matmul(opA, opB).data()) as Float32Array;
    },
    dispose: () => jax.tree.dispose([ja, jb]),
  };
};
