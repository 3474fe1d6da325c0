/**
 * @tsdl/data-text: real text that installs offline from npm — the SpamAssassin
 * corpus, Moby-Dick, English first names — read from the files the `@stdlib`
 * dataset packages ship, plus the tokenization helpers Keras'
 * TextVectorization uses.
 */
export {
  loadSpamAssassin,
  SPAM_GROUPS,
  type SpamGroup,
  type SpamAssassin,
  type SpamAssassinOptions,
  type TextSplit,
} from './spam-assassin';
export { loadMobyDick, splitByPosition, type MobyDick, type MobyDickOptions, type Chapter } from './moby-dick';
export { loadFirstNames, type FirstNamesOptions } from './first-names';
export { CharVocabulary } from './char-vocabulary';
export { emailBody } from './email';
export { stratifiedSplit } from './split';
export {
  standardizeText,
  splitText,
  withNgrams,
  countTokens,
  mostFrequent,
  type StandardizeMode,
  type SplitMode,
  type TokenCounts,
} from './tokenize';
