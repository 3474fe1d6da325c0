import '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { CharVocabulary } from '@tsdl/data-text';
import { ArgumentError, memory, setBackend } from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../src/text/generate';
import type { WriteSettings } from '../src/text/protocol';
import { PAGE_GPT, TextTrainer, rng, sampleWindows } from '../src/text/trainer';

/** The text page's worker parts in Node, on the CPU backend: batches, the trainer and the writer. */

beforeAll(() => {
  setBackend(cpu());
});

const TEXT = 'the whale, the sea, the ship and the men who hunt the whale at sea.\n'.repeat(20);
const vocab = CharVocabulary.fromText(TEXT);
const ids = vocab.encode(TEXT);
const settings = (o: Partial<WriteSettings> = {}): WriteSettings => ({
  prompt: 'the ',
  chars: 12,
  temperature: 0.8,
  topK: 5,
  seed: 3,
  ...o,
});

async function collect(it: AsyncGenerator<string>): Promise<string> {
  let s = '';
  for await (const c of it) s += c;
  return s;
}

describe('sampleWindows', () => {
  it('takes windows and their next-character targets at seeded offsets', () => {
    const text = Int32Array.from({ length: 50 }, (_, i) => i);
    const { x, y } = sampleWindows(text, 3, 4, rng(7));
    const starts = [0, 1, 2].map((b) => x[b * 4]);
    const next = rng(7);
    expect(starts).toEqual([next() % 46, next() % 46, next() % 46]);
    for (let b = 0; b < 3; b++) {
      for (let t = 0; t < 4; t++) {
        expect(x[b * 4 + t]).toBe(starts[b] + t);
        expect(y[b * 4 + t]).toBe(starts[b] + t + 1);
      }
    }
  });

  it('refuses a text too short for one window and its target', () => {
    expect(() => sampleWindows(new Int32Array(4), 1, 4, rng(1))).toThrow(ArgumentError);
  });
});

describe('TextTrainer', () => {
  it('builds the page GPT with its known weight count and lowers the loss on a repetitive text', async () => {
    const t = new TextTrainer(vocab.size, 8, 3e-3, 1);
    try {
      const V = vocab.size;
      const E = PAGE_GPT.nEmbd;
      // wte (tied output) + wpe + per block (2 LayerNorms, c_attn, c_proj, c_fc, c_proj) + ln_f, no biases.
      expect(t.parameterCount).toBe(
        V * E + PAGE_GPT.blockSize * E + PAGE_GPT.nLayer * (2 * E + 3 * E * E + E * E + 8 * E * E) + E,
      );
      const losses: number[] = [];
      for (let i = 0; i < 30; i++) losses.push(await t.step(ids));
      expect(Math.abs(losses[0] - Math.log(V))).toBeLessThan(0.3);
      expect(losses.slice(-5).reduce((a, b) => a + b) / 5).toBeLessThan(losses[0] - 0.5);
      expect(await t.meanLoss(ids, 2)).toBeLessThan(losses[0] - 0.5);
    } finally {
      t.dispose();
    }
  });
});

describe('generate', () => {
  it('writes the asked number of characters from the vocabulary, the same for the same seed', async () => {
    const t = new TextTrainer(vocab.size, 8, 3e-3, 2);
    try {
      const before = memory().numTensors;
      const a = await collect(generate(t.model, vocab, settings()));
      expect([...a].length).toBe(12);
      for (const c of a) expect(vocab.has(c)).toBe(true);
      expect(await collect(generate(t.model, vocab, settings()))).toBe(a);
      // A prompt longer than the context keeps only its last blockSize characters.
      expect(
        [...(await collect(generate(t.model, vocab, settings({ prompt: TEXT.slice(0, 100), chars: 3 }))))].length,
      ).toBe(3);
      expect(memory().numTensors).toBe(before);
      expect(t.model.training).toBe(true);
    } finally {
      t.dispose();
    }
  });

  it('refuses an unknown character, naming it, before making any tensor', async () => {
    const t = new TextTrainer(vocab.size, 8, 3e-3, 2);
    try {
      const before = memory().numTensors;
      await expect(collect(generate(t.model, vocab, settings({ prompt: 'the Whale' })))).rejects.toThrow(
        `CharVocabulary.encode: character "W" at position 4 is not in the vocabulary of ${vocab.size} characters`,
      );
      expect(memory().numTensors).toBe(before);
    } finally {
      t.dispose();
    }
  });

  it('refuses bad settings by name', async () => {
    const t = new TextTrainer(vocab.size, 8, 3e-3, 2);
    try {
      const bad: [Partial<WriteSettings>, RegExp][] = [
        [{ prompt: '' }, /the prompt is empty/],
        [{ chars: 0 }, /characters must be an integer from 1 to 5000, got 0/],
        [{ temperature: 0 }, /temperature must be above 0/],
        [{ topK: 1.5 }, /top-k must be an integer >= 1, got 1.5/],
        [{ seed: -1 }, /seed must be an integer >= 0, got -1/],
      ];
      for (const [o, message] of bad)
        await expect(collect(generate(t.model, vocab, settings(o)))).rejects.toThrow(message);
      await expect(collect(generate(t.model, vocab, { ...settings(), colour: 1 } as WriteSettings))).rejects.toThrow(
        /unknown setting 'colour'/,
      );
    } finally {
      t.dispose();
    }
  });
});
