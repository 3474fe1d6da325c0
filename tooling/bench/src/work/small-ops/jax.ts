import type { Array as JaxArray } from '@jax-js/jax';
import { type JaxDevice, useJax } from '../../frameworks/jax';
import type { SmallOpsFactory } from './runner';

/**
 * jax-js op by op (no jit): each method call consumes its receiver, so the
 * chain frees its intermediates as it goes; .ref keeps the start for the next
 * run. jax-js may defer and fuse elementwise work until the read: that is its
 * eager path, and the read is inside the timed call.
 */
export const jaxSmallOps =
  (device: JaxDevice): SmallOpsFactory =>
  async (x0, steps) => {
    const jax = await useJax(device);
    const start = jax.numpy.array(x0);
    await jax.blockUntilReady(start);
    return {
      async run() {
        let x: JaxArray = start.ref;
        for (let s = 0; s < steps; s++) x = x.add(1).mul(0.5);
        return (await x.data()) as Float32Array;
      },
      dispose: () => start.dispose(),
    };
  };

/**
 * Steps per jit-compiled block: jax-js' compiler recurses over the fused
 * expression, and one block of all 1,000 steps overflows the stack.
 */
const JIT_BLOCK = 50;

/** The same chain compiled by jax.jit in blocks of JIT_BLOCK steps: a reference for what fusion saves. */
export const jaxJitSmallOps =
  (device: JaxDevice): SmallOpsFactory =>
  async (x0, steps) => {
    if (steps % JIT_BLOCK !== 0) throw new Error(`small-ops jit: steps (${steps}) must be a multiple of ${JIT_BLOCK}`);
    const jax = await useJax(device);
    const start = jax.numpy.array(x0);
    await jax.blockUntilReady(start);
    const block = jax.jit((x: JaxArray) => {
      for (let s = 0; s < JIT_BLOCK; s++) x = x.add(1).mul(0.5);
      return x;
    });
    return {
      async run() {
        let x: JaxArray = start.ref;
        for (let b = 0; b < steps / JIT_BLOCK; b++) x = block(x);
        return (await x.data()) as Float32Array;
      },
      dispose: () => {
        block.dispose();
        start.dispose();
      },
    };
  };
