import type { Array as JaxArray } from '@jax-js/jax';
import { type JaxDevice, useJax } from '../../frameworks/jax';
import type { MatmulFactory } from './runner';

export const jaxMatmul =
  (device: JaxDevice): MatmulFactory =>
  async (a, b, n) => {
    const jax = await useJax(device);
    const np = jax.numpy;
    const ja = np.array(a).reshape([n, n]);
    const jb = np.array(b).reshape([n, n]);
    await jax.blockUntilReady([ja, jb]);
    return {
      async run(reps) {
        // jax-js functions consume their arguments: .ref keeps the inputs for the next run.
        const cs: JaxArray[] = [];
        for (let r = 0; r < reps; r++) cs.push(np.matmul(ja.ref, jb.ref));
        // jax-js is lazy: an unread product would never run. Realise them all together
        // (blockUntilReady keeps its arguments), then read the last.
        if (reps > 1) await jax.blockUntilReady(cs);
        const last = cs.pop() as JaxArray;
        jax.tree.dispose(cs);
        return (await last.data()) as Float32Array;
      },
      dispose: () => jax.tree.dispose([ja, jb]),
    };
  };
