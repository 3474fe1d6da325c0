import '@tsdl/autograd';
import { memory, setBackend } from '@tsdl/tensor';
import { compareClose } from '@tsdl/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
// The cases and their runners live with @tsdl/nn's own parity test (fixtures written by PyTorch).
import {
  type CaseResult,
  loadFixtures,
  runDecoder,
  runEncoder,
  runMha,
  runSdpa,
  values,
} from '../../nn/test/attention-fixtures';
import { acquireTestGpu, gpuAvailable } from './gpu';

/**
 * scaledDotProductAttention, MultiheadAttention and the Transformer layers on
 * WebGPU against the same PyTorch fixtures the CPU backend meets: outputs,
 * weights and every gradient, within 1e-5. A few cases cover the paths
 * (bool and float masks with −Infinity, causal, key padding, bias_kv, a
 * stack with a final norm, pre-norm gelu with cross-attention masks).
 */

const gpu = await acquireTestGpu();
const fx = loadFixtures();

const CASES: [string, () => CaseResult][] = [];
function pick<C extends { name: string }>(list: C[], name: string, run: (c: C) => CaseResult): void {
  CASES.push([
    name,
    () => {
      const c = list.find((k) => k.name === name);
      if (!c) throw new Error(`no fixture case '${name}'`);
      return run(c);
    },
  ]);
}
pick(fx.sdpa, 'float mask [2,1,3,5] with -inf entries', runSdpa);
pick(fx.sdpa, 'causal, L 3 < S 5 (top-left aligned)', runSdpa);
pick(fx.sdpa, 'a fully masked row is NaN', runSdpa);
pick(fx.mha, 'bool attnMask and bool keyPaddingMask', runMha);
pick(fx.mha, 'float attnMask and bool keyPaddingMask', runMha);
pick(fx.mha, 'addBiasKv with attnMask and keyPaddingMask', runMha);
pick(fx.encoder, 'encoder: 2 layers, final norm, key padding, batch-first', runEncoder);
pick(fx.decoder, 'layer: gelu, norm-first, batch-first, tgt causal, both key paddings, memory mask', runDecoder);

describe.runIf(gpuAvailable(gpu, it))('webgpu: nn attention and Transformers against PyTorch', () => {
  beforeAll(() => {
    setBackend(gpu.backend('webgpu-attention'));
  });

  for (const [name, run] of CASES) {
    it(name, async () => {
      const before = memory().numTensors;
      const r = run();
      try {
        for (const [what, got, want] of r.pairs) {
          expect(got, `${what} is missing`).toBeTruthy();
          expect(got.shape, what).toEqual(want.shape);
          const msg = compareClose(await got.data(), values(want), { atol: 1e-5, rtol: 1e-5 });
          expect(msg, `${what}: ${msg}`).toBeNull();
        }
      } finally {
        r.dispose();
      }
      expect(memory().numTensors).toBe(before);
    });
  }
});
