import { useJax } from '../../frameworks/jax';
import type { MatmulFactory } from './runner';

export const jaxMatmul: MatmulFactory = async (a, b, n) => {
  const jax = await useJax();
  const np = jax.numpy;
  const ja = np.array(a).reshape([n, n]);
  const jb = np.array(b).reshape([n, n]);
  await jax.blockUntilReady([ja, jb]);
  return {
    async run() {
      // jax-js functions consume their arguments: .ref keeps the inputs for the next run.
      const c = np.matmul(ja.ref, jb.ref);
      const data = await c.data();
      return data as Float32Array;
    },
    dispose: () => jax.tree.dispose([ja, jb]),
  };
};
