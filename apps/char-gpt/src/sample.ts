import { noGrad } from '@tsdl/autograd';
import type { CharVocabulary } from '@tsdl/data-text';
import { ArgumentError, categorical, lt, reshape, slice, tensor, tidy, topk, where } from '@tsdl/tensor';
import type { CharGpt } from './model';

export interface SampleOptions {
  /** The text to continue; every character must be in the vocabulary (default "\n", nanoGPT's start). */
  prompt?: string;
  /** Characters to draw after the prompt (default 500). */
  chars?: number;
  /** Logits are divided by this before sampling: below 1 sharper (default 0.8). */
  temperature?: number;
  /** Draw only among the k likeliest characters (default 200; k ≥ the vocabulary size keeps them all). */
  topK?: number;
  /** Fixes the draws: step t uses a key from seed and t, the same on every backend (default 0). */
  seed?: number;
}

const KNOWN = ['prompt', 'chars', 'temperature', 'topK', 'seed'];

function checkOptions(o: SampleOptions): Required<SampleOptions> {
  for (const k of Object.keys(o))
    if (!KNOWN.includes(k)) throw new ArgumentError(`sampleText: unknown option '${k}' (known: ${KNOWN.join(', ')})`);
  const { prompt = '\n', chars = 500, temperature = 0.8, topK = 200, seed = 0 } = o;
  if (typeof prompt !== 'string' || prompt.length === 0)
    throw new ArgumentError(`sampleText: prompt must be a non-empty string, got ${JSON.stringify(prompt)}`);
  if (!Number.isInteger(chars) || chars < 0)
    throw new ArgumentError(`sampleText: chars must be an integer >= 0, got ${chars}`);
  if (typeof temperature !== 'number' || !(temperature > 0 && temperature < Infinity)) {
    throw new ArgumentError(`sampleText: temperature must be a finite number > 0, got ${temperature}`);
  }
  if (!Number.isInteger(topK) || topK < 1)
    throw new ArgumentError(`sampleText: topK must be an integer >= 1, got ${topK}`);
  if (!Number.isInteger(seed) || seed < 0)
    throw new ArgumentError(`sampleText: seed must be an integer >= 0, got ${seed}`);
  return { prompt, chars, temperature, topK, seed };
}

/**
 * nanoGPT's generate: feed the last blockSize characters, take the last
 * position's logits, divide by the temperature, keep the top k (the rest
 * become −∞), draw one character, append it, repeat. Returns the drawn
 * characters (without the prompt). The model is in eval mode meanwhile.
 */
export async function sampleText(model: CharGpt, vocab: CharVocabulary, options: SampleOptions = {}): Promise<string> {
  const { prompt, chars, temperature, topK, seed } = checkOptions(options);
  const context = Array.from(vocab.encode(prompt)); // an unknown character is an ArgumentError naming it
  if (vocab.size !== model.config.vocabSize)
    throw new ArgumentError(
      `sampleText: the vocabulary has ${vocab.size} characters, the model ${model.config.vocabSize}`,
    );
  const k = Math.min(topK, vocab.size);
  const drawn: number[] = [];
  model.eval();
  try {
    for (let t = 0; t < chars; t++) {
      const window = context.slice(-model.config.blockSize);
      const id = noGrad(() =>
        tidy(() => {
          const logits = model.call(tensor(Int32Array.from(window), [1, window.length], 'int32'));
          const last = reshape(slice(logits, [0, window.length - 1, 0], [1, window.length, vocab.size]), [
            1,
            vocab.size,
          ]).div(temperature);
          const kth = slice(topk(last, k).values, [0, k - 1], [1, k]);
          return categorical(where(lt(last, kth), -Infinity, last), 1, { seed: (seed * 100_003 + t) >>> 0 });
        }),
      );
      const next = (await id.data())[0];
      id.dispose();
      context.push(next);
      drawn.push(next);
    }
  } finally {
    model.train();
  }
  return vocab.decode(drawn);
}
