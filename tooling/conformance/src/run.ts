import '@tsdl/autograd';
import { type Backend, setBackend } from '@tsdl/tensor';
import { ACCELERATIONS } from '@tsdl/tensor/backend';
import { beforeAll, describe } from 'vitest';
import type { ConformanceContext } from './context';
import { registerForward } from './forward/index';
import { registerGradients } from './gradients/index';
import { readsSync } from './tensor/helpers';
import { registerTensorContract } from './tensor/index';

/**
 * Registers the whole conformance matrix for one backend: every op forward
 * against float64 references (dtypes, scalars, size-0 dimensions, broadcast
 * rank pairs up to 4-D, negative axes, non-contiguous views), every gradient
 * rule against finite differences, every acceleration the backend implements
 * against its reference lowering, the bad-call error table and the memory
 * checks. Call it at the top level of a test file:
 *
 *   runConformance('cpu', () => cpu());
 *
 * `second` defaults to the factory with a different name passed through
 * when the backend accepts `{ name }`; pass it for backends that do not.
 *
 * Every value is read with `await t.data()`, so backends without readSync
 * (WebGPU) run the same tests; the few about synchronous reads are
 * registered only where the backend has it (ctx.sync), and a backend
 * without it is checked to refuse them with the documented error.
 */
export function runConformance(name: string, factory: () => Backend, second?: () => Backend): void {
  const probe = factory();
  const accelerations = new Set(ACCELERATIONS.filter((k) => typeof probe[k] === 'function'));
  const ctx: ConformanceContext = { name, factory, second: second ?? factory, sync: readsSync(probe), accelerations };
  describe(`conformance: ${name}`, () => {
    beforeAll(() => {
      setBackend(factory());
    });
    registerForward(ctx);
    registerGradients(ctx);
    registerTensorContract(ctx);
  });
}
