import { ArgumentError, DataFormatError } from '@tsdl/tensor';

/**
 * A character vocabulary: the distinct characters (Unicode code points) of a
 * text in code-point order, ids 0 … size−1. Encoding a character it has never
 * seen is an error, not a silent unknown id, so a prompt with a new character
 * is caught where it is typed.
 */
export class CharVocabulary {
  readonly chars: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(chars: readonly string[]) {
    const seen = new Set<string>();
    for (const c of chars) {
      if (typeof c !== 'string' || [...c].length !== 1) {
        throw new ArgumentError(`CharVocabulary: every entry must be one character, got ${JSON.stringify(c)}`);
      }
      if (seen.has(c)) throw new ArgumentError(`CharVocabulary: ${JSON.stringify(c)} appears twice`);
      seen.add(c);
    }
    this.chars = Object.freeze([...chars]);
    this.ids = new Map(this.chars.map((c, i) => [c, i]));
  }

  /** The vocabulary of every character in `text`, sorted by code point. */
  static fromText(text: string): CharVocabulary {
    const set = new Set(text);
    return new CharVocabulary([...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  /** Rebuilds a vocabulary saved with toJSON(). */
  static fromJSON(json: unknown, source = 'vocabulary'): CharVocabulary {
    const chars = (json as { chars?: unknown })?.chars;
    if (!Array.isArray(chars)) throw new DataFormatError(`${source}: expected { chars: string[] }`);
    try {
      return new CharVocabulary(chars as string[]);
    } catch (e) {
      throw new DataFormatError(`${source}: ${(e as Error).message}`);
    }
  }

  get size(): number {
    return this.chars.length;
  }

  has(char: string): boolean {
    return this.ids.has(char);
  }

  /** The ids of `text`'s characters. */
  encode(text: string): Int32Array {
    const chars = [...text];
    const out = new Int32Array(chars.length);
    for (let i = 0; i < chars.length; i++) {
      const id = this.ids.get(chars[i]);
      if (id === undefined) {
        throw new ArgumentError(
          `CharVocabulary.encode: character ${JSON.stringify(chars[i])} at position ${i} is not in the vocabulary of ${this.size} characters`,
        );
      }
      out[i] = id;
    }
    return out;
  }

  /** The text of `ids`. */
  decode(ids: ArrayLike<number>): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const c = Number.isInteger(ids[i]) ? this.chars[ids[i]] : undefined;
      if (c === undefined)
        throw new ArgumentError(`CharVocabulary.decode: id ${ids[i]} at position ${i} is outside [0, ${this.size})`);
      out += c;
    }
    return out;
  }

  toJSON(): { chars: string[] } {
    return { chars: [...this.chars] };
  }
}
