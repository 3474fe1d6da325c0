/**
 * The process that save-atomic-kill.test.ts kills. It is bundled from source
 * (not a test file itself) and run with plain node:
 *
 *   node child.cjs <dir> <first version> <hidden units>
 *
 * It builds a model of a few million parameters, takes one SGD step so the
 * optimizer has momentum state, then saves version after version: every weight
 * filled with the version number v and the learning rate set to v, so the
 * config, the weights and the optimizer file each say which save they belong
 * to. It prints `begin v` before and `saved v` after each save, until killed.
 */
import '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { full, setBackend, tensor } from '@tsdl/tensor';
import { Dense, Sequential, optimizers } from '../src/index';

async function main(): Promise<void> {
  const [dir, first, hiddenArg] = process.argv.slice(2);
  const hidden = Number(hiddenArg);
  setBackend(cpu({ threads: 1 }));
  const m = new Sequential({
    name: 'big',
    layers: [
      new Dense({ units: hidden, inputShape: [8], name: 'a', kernelInitializer: 'zeros' }),
      new Dense({ units: hidden, name: 'b', kernelInitializer: 'zeros' }),
      new Dense({ units: 4, name: 'c' }),
    ],
  });
  m.compile({ optimizer: optimizers.SGD({ learningRate: 0.01, momentum: 0.9 }), loss: 'mse' });
  await m.trainOnBatch(tensor(new Float32Array(16), [2, 8]), tensor(new Float32Array(8), [2, 4]));
  for (let v = Number(first); ; v++) {
    for (const [, w] of m.namedModelWeights()) {
      const value = full(w.shape, v);
      w.assign(value);
      value.dispose();
    }
    m.learningRate = v;
    process.stdout.write(`begin ${v}\n`);
    await m.save(dir, { includeOptimizer: true });
    process.stdout.write(`saved ${v}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
