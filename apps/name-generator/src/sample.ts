import { noGrad } from '@tsdl/autograd';
import type { CharVocabulary } from '@tsdl/data-text';
import { ArgumentError, type Tensor, categorical, tensor, tidy } from '@tsdl/tensor';
import type { NameModel } from './model';

export interface SampleOptions {
  /** Names to draw (default 20). */
  count?: number;
  /** Characters after which an unfinished name is cut (default 20). */
  maxLength?: number;
  /** Logits are divided by this before sampling: below 1 sharper, above 1 flatter (default 1: the model's own distribution). */
  temperature?: number;
  /** Step t of the draw uses seed·1000 + t, so a seed gives the same names on every backend (default 0). */
  seed?: number;
}

const KNOWN = ['count', 'maxLength', 'temperature', 'seed'];

function checkOptions(o: SampleOptions): Required<SampleOptions> {
  for (const k of Object.keys(o))
    if (!KNOWN.includes(k)) throw new ArgumentError(`sampleNames: unknown option '${k}' (known: ${KNOWN.join(', ')})`);
  const { count = 20, maxLength = 20, temperature = 1, seed = 0 } = o;
  for (const [k, v] of [
    ['count', count],
    ['maxLength', maxLength],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 999)
      throw new ArgumentError(`sampleNames: ${k} must be an integer in [1, 999], got ${v}`);
  }
  if (typeof temperature !== 'number' || !(temperature > 0 && temperature < Infinity)) {
    throw new ArgumentError(`sampleNames: temperature must be a finite number > 0, got ${temperature}`);
  }
  if (!Number.isInteger(seed) || seed < 0)
    throw new ArgumentError(`sampleNames: seed must be an integer >= 0, got ${seed}`);
  return { count, maxLength, temperature, seed };
}

/**
 * Draws names one character at a time: every name starts from '.' (id 0)
 * and a zero state, each step feeds the character just drawn and the state
 * back in, and a name ends when '.' is drawn or after maxLength characters.
 * All `count` names advance together as one batch.
 */
export async function sampleNames(
  model: NameModel,
  vocab: CharVocabulary,
  options: SampleOptions = {},
): Promise<string[]> {
  const { count, maxLength, temperature, seed } = checkOptions(options);
  const names = new Array<string>(count).fill('');
  const done = new Array<boolean>(count).fill(false);
  let ids: Tensor = tensor(new Int32Array(count), [count], 'int32');
  let h: Tensor | null = null;
  model.eval();
  try {
    for (let t = 0; t < maxLength && done.includes(false); t++) {
      const prevIds = ids;
      const prevH: Tensor | null = h;
      const next = noGrad(() =>
        tidy(() => {
          const s = model.step(prevIds, prevH);
          return { ids: categorical(s.logits.div(temperature), 1, { seed: seed * 1000 + t }).reshape([count]), h: s.h };
        }),
      );
      prevIds.dispose();
      prevH?.dispose();
      ids = next.ids;
      h = next.h;
      const drawn = await ids.data();
      for (let i = 0; i < count; i++) {
        if (done[i]) continue;
        if (drawn[i] === 0) done[i] = true;
        else names[i] += vocab.decode([drawn[i]]);
      }
    }
  } finally {
    ids.dispose();
    h?.dispose();
    model.train();
  }
  return names;
}
