import { Bidirectional, Dense, Embedding, LSTM, Sequential, TextVectorization } from '@tsdl/keras';

/** The sizes of the recurrent model; the defaults are the app's. */
export interface RecurrentConfig {
  /** Vocabulary size, '' (padding, 0) and '[UNK]' (1) included. */
  maxTokens: number;
  /** Tokens kept per email: longer bodies are cut, shorter ones padded with 0. */
  sequenceLength: number;
  embeddingDim: number;
  lstmUnits: number;
}

export const RECURRENT_DEFAULTS: RecurrentConfig = {
  maxTokens: 10_000,
  sequenceLength: 200,
  embeddingDim: 32,
  lstmUnits: 32,
};

/** Vocabulary size of the bag-of-words baseline ('[UNK]' included). */
export const BAG_DEFAULT_TOKENS = 10_000;

/**
 * TextVectorization → Embedding(maskZero) → Bidirectional(LSTM) → Dense(sigmoid): the model
 * reads the email's strings; the vectorizer learns its vocabulary from `adaptTexts` (the
 * training emails only, so nothing of the test set leaks in). maskZero makes the LSTMs skip
 * the padding, so a short email's state is not washed out by 0 tokens.
 */
export function buildRecurrentModel(adaptTexts: string[], c: RecurrentConfig = RECURRENT_DEFAULTS): Sequential {
  const vectorizer = new TextVectorization({
    maxTokens: c.maxTokens,
    outputSequenceLength: c.sequenceLength,
    name: 'vectorize',
  });
  vectorizer.adapt(adaptTexts);
  return new Sequential({
    name: 'recurrent',
    layers: [
      vectorizer,
      // inputDim is the adapted vocabulary's size: a small corpus may have fewer words than maxTokens.
      new Embedding({
        inputDim: vectorizer.vocabularySize(),
        outputDim: c.embeddingDim,
        maskZero: true,
        name: 'embed',
      }),
      new Bidirectional({ layer: new LSTM({ units: c.lstmUnits }), name: 'bilstm' }),
      new Dense({ units: 1, activation: 'sigmoid', name: 'spam' }),
    ],
  });
}

/**
 * The baseline: which words occur (TextVectorization multi_hot) → one sigmoid unit, i.e. a
 * logistic regression on binary bag-of-words.
 */
export function buildBagOfWordsModel(adaptTexts: string[], maxTokens = BAG_DEFAULT_TOKENS): Sequential {
  const vectorizer = new TextVectorization({ maxTokens, outputMode: 'multi_hot', name: 'bag_of_words' });
  vectorizer.adapt(adaptTexts);
  return new Sequential({
    name: 'bag_of_words',
    layers: [vectorizer, new Dense({ units: 1, activation: 'sigmoid', name: 'spam' })],
  });
}
