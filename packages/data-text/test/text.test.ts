import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ArgumentError, DataFormatError } from '@tsdl/tensor';
import {
  CharVocabulary,
  countTokens,
  emailBody,
  mostFrequent,
  splitText,
  standardizeText,
  stratifiedSplit,
  withNgrams,
} from '../src/index';

describe('CharVocabulary', () => {
  it('sorts characters by code point and round-trips text, astral characters included', () => {
    const v = CharVocabulary.fromText('hello, 🐳 world');
    expect(v.chars.join('')).toBe(' ,dehlorw🐳');
    expect([...v.encode('hold')]).toEqual([4, 6, 5, 2]);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite', minLength: 1 }), (text) => {
        const voc = CharVocabulary.fromText(text);
        return voc.decode(voc.encode(text)) === text;
      }),
    );
  });

  it('names an unknown character and its position, and an id out of range', () => {
    const v = CharVocabulary.fromText('abc');
    expect(() => v.encode('abz')).toThrow(/character "z" at position 2 is not in the vocabulary of 3/);
    expect(() => v.decode([0, 3])).toThrow(ArgumentError);
    expect(() => v.decode([0.5])).toThrow(/id 0.5 at position 0/);
  });

  it('saves and loads, and rejects a malformed saved vocabulary', () => {
    const v = CharVocabulary.fromText('tsdl');
    expect(CharVocabulary.fromJSON(JSON.parse(JSON.stringify(v))).chars).toEqual(v.chars);
    expect(() => CharVocabulary.fromJSON({ chars: ['a', 'a'] })).toThrow(DataFormatError);
    expect(() => CharVocabulary.fromJSON({ chars: ['ab'] })).toThrow(DataFormatError);
    expect(() => CharVocabulary.fromJSON(null)).toThrow(DataFormatError);
  });
});

describe('tokenization (Keras TextVectorization semantics)', () => {
  it('standardizes and splits as Keras does', () => {
    expect(standardizeText("Hello, World! It's 5 o'clock.")).toBe('hello world its 5 oclock');
    expect(standardizeText('A-B', 'lower')).toBe('a-b');
    expect(splitText('  the  cat\tsat\n')).toEqual(['the', 'cat', 'sat']);
    expect(splitText('ab', 'character')).toEqual(['a', 'b']);
    expect(() => standardizeText('x', 'upper' as never)).toThrow(ArgumentError);
  });

  it('makes n-grams', () => {
    expect(withNgrams(['a', 'b', 'c'], 2)).toEqual(['a', 'b', 'c', 'a b', 'b c']);
    expect(withNgrams(['a', 'b', 'c'], [3])).toEqual(['a b c']);
    expect(() => withNgrams(['a'], 0)).toThrow(ArgumentError);
  });

  it('orders a vocabulary by count, ties by descending token', () => {
    const c = countTokens([
      ['b', 'a', 'c'],
      ['c', 'a', 'd', 'a'],
    ]);
    expect(c.documents).toBe(2);
    expect(c.documentCounts.get('a')).toBe(2);
    expect(mostFrequent(c.counts)).toEqual(['a', 'c', 'd', 'b']);
    expect(mostFrequent(c.counts, 2)).toEqual(['a', 'c']);
  });
});

describe('emailBody and stratifiedSplit', () => {
  it('keeps what follows the first blank line', () => {
    expect(emailBody('From: a\r\nTo: b\r\n\r\nHi\n\nthere')).toBe('Hi\n\nthere');
    expect(emailBody('no body')).toBe('');
  });

  it('keeps each class share and covers every index once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 1000 }),
        (labels, seed) => {
          const { train, test } = stratifiedSplit(labels, 0.25, seed);
          const all = [...train, ...test].sort((a, b) => a - b);
          if (all.join() !== labels.map((_, i) => i).join()) return false;
          for (const cls of [0, 1, 2]) {
            const n = labels.filter((l) => l === cls).length;
            if (test.filter((i) => labels[i] === cls).length !== Math.round(0.25 * n)) return false;
          }
          return true;
        },
      ),
    );
  });
});
