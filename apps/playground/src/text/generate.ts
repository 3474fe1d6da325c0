import { noGrad } from '@tsdl/autograd';
import type { CharGpt } from '@tsdl/app-char-gpt/model';
import type { CharVocabulary } from '@tsdl/data-text';
import { ArgumentError, categorical, lt, reshape, slice, tensor, tidy, topk, where } from '@tsdl/tensor';
import type { WriteSettings } from './protocol';

const KNOWN = ['prompt', 'chars', 'temperature', 'topK', 'seed'];

/** Checks the page's write settings; a bad one is an ArgumentError naming it. */
export function checkWriteSettings(s: WriteSettings): WriteSettings {
  for (const k of Object.keys(s))
    if (!KNOWN.includes(k)) throw new ArgumentError(`write: unknown setting '${k}' (known: ${KNOWN.join(', ')})`);
  if (typeof s.prompt !== 'string' || s.prompt.length === 0)
    throw new ArgumentError('write: the prompt is empty; type a few words for the model to continue');
  if (!Number.isInteger(s.chars) || s.chars < 1 || s.chars > 5000)
    throw new ArgumentError(`write: characters must be an integer from 1 to 5000, got ${s.chars}`);
  if (!(s.temperature > 0 && s.temperature <= 10))
    throw new ArgumentError(`write: temperature must be above 0 and at most 10, got ${s.temperature}`);
  if (!Number.isInteger(s.topK) || s.topK < 1)
    throw new ArgumentError(`write: top-k must be an integer >= 1, got ${s.topK}`);
  if (!Number.isInteger(s.seed) || s.seed < 0)
    throw new ArgumentError(`write: seed must be an integer >= 0, got ${s.seed}`);
  return s;
}

/**
 * nanoGPT's generate, one character at a time so the page can show each as
 * it comes: feed the last blockSize characters, divide the last position's
 * logits by the temperature, keep the top k, draw one, append it. The
 * prompt is checked before any tensor exists: a character the text never
 * had is an ArgumentError naming it (the vocabulary's message).
 */
export async function* generate(
  model: CharGpt,
  vocab: CharVocabulary,
  settings: WriteSettings,
): AsyncGenerator<string> {
  const { prompt, chars, temperature, topK, seed } = checkWriteSettings(settings);
  const context = Array.from(vocab.encode(prompt));
  if (vocab.size !== model.config.vocabSize)
    throw new ArgumentError(`write: the vocabulary has ${vocab.size} characters, the model ${model.config.vocabSize}`);
  const k = Math.min(topK, vocab.size);
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
      yield vocab.chars[next];
    }
  } finally {
    model.train();
  }
}
