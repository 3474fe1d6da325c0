import { memory } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { type CaseResult, loadFixtures, runDecoder, runEncoder, runMha, runSdpa, values } from './attention-fixtures';
import { expectClose, useCpu } from './helpers';

useCpu();

/**
 * scaledDotProductAttention, MultiheadAttention, the Transformer encoder and
 * decoder layers and stacks against PyTorch (fixtures/make_attention_fixtures.py,
 * float64 references): outputs, attention weights and the gradients of a fixed
 * projection of them with respect to every input and every parameter, with
 * each mask kind, both layouts, pre- and post-norm, relu and gelu.
 */

function check(name: string, run: () => CaseResult): void {
  const before = memory();
  const r = run();
  try {
    for (const [what, got, want] of r.pairs) {
      expect(got, `${what} is missing`).toBeTruthy();
      expect(got.shape, `${what} shape`).toEqual(want.shape);
      try {
        expectClose(got, values(want), 1e-5, 1e-5);
      } catch (e) {
        throw new Error(`${name}: ${what}: ${(e as Error).message}`);
      }
    }
  } finally {
    r.dispose();
  }
  const after = memory();
  expect(after.numTensors, 'live tensors').toBe(before.numTensors);
  expect(after.numBytes, 'bytes').toBe(before.numBytes);
}

const fx = loadFixtures();

describe('PyTorch parity: scaledDotProductAttention', () => {
  for (const c of fx.sdpa) it(c.name, () => check(c.name, () => runSdpa(c)));
});

describe('PyTorch parity: MultiheadAttention', () => {
  for (const c of fx.mha) it(c.name, () => check(c.name, () => runMha(c)));
});

describe('PyTorch parity: TransformerEncoderLayer / TransformerEncoder', () => {
  for (const c of fx.encoder) it(c.name, () => check(c.name, () => runEncoder(c)));
});

describe('PyTorch parity: TransformerDecoderLayer / TransformerDecoder', () => {
  for (const c of fx.decoder) it(c.name, () => check(c.name, () => runDecoder(c)));
});
