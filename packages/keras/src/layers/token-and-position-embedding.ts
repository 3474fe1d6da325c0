import { ArgumentError, DTypeError, ShapeError, type Tensor, add, cast, gather, ne, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { initializerName } from '../initializers';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { optionalBool, optionalSeed, positiveInt } from './options';
import { checkSequenceLength, positions } from './positional-embedding';

const TOKEN_AND_POSITION_OPTIONS = [
  ...LAYER_OPTIONS,
  'vocabularySize',
  'sequenceLength',
  'embeddingDim',
  'tieWeights',
  'embeddingsInitializer',
  'maskZero',
  'seed',
];

export interface TokenAndPositionEmbeddingArgs extends LayerArgs {
  vocabularySize: number;
  sequenceLength: number;
  embeddingDim: number;
  /** KerasHub's flag for its reversible token embedding; kept in the config (this layer has no reverse projection). Default true. */
  tieWeights?: boolean;
  /** Initializer of both tables (default random_uniform, KerasHub's 'uniform': U(−0.05, 0.05)). */
  embeddingsInitializer?: string;
  /** Token 0 is padding: the output carries a mask [batch, time], true where the token is not 0 (default false). */
  maskZero?: boolean;
  seed?: number;
}

/**
 * KerasHub's TokenAndPositionEmbedding: token ids [batch, time] → token
 * embedding + position embedding, [batch, time, embeddingDim]. Weights as
 * KerasHub's sublayers name them: `token_embedding/embeddings`
 * [vocabularySize, embeddingDim] and `position_embedding/embeddings`
 * [sequenceLength, embeddingDim].
 */
export class TokenAndPositionEmbedding extends Layer {
  readonly vocabularySize: number;
  readonly sequenceLength: number;
  readonly embeddingDim: number;
  readonly tieWeights: boolean;
  readonly maskZero: boolean;
  private readonly init: string;
  private readonly seed: number | undefined;
  tokenEmbeddings: Tensor | null = null;
  positionEmbeddings: Tensor | null = null;

  constructor(config: TokenAndPositionEmbeddingArgs) {
    const args = camelCaseKeys(config, 'TokenAndPositionEmbedding');
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      throw new ArgumentError(
        `TokenAndPositionEmbedding: expected an options object ({ vocabularySize, sequenceLength, embeddingDim, ... }), got ${quote(args)}`,
      );
    }
    if (new.target === TokenAndPositionEmbedding)
      rejectUnknownOptions('TokenAndPositionEmbedding', args, TOKEN_AND_POSITION_OPTIONS);
    super(args);
    const who = this.label;
    this.vocabularySize = positiveInt(who, 'vocabularySize', args.vocabularySize);
    this.sequenceLength = positiveInt(who, 'sequenceLength', args.sequenceLength);
    this.embeddingDim = positiveInt(who, 'embeddingDim', args.embeddingDim);
    this.tieWeights = optionalBool(who, 'tieWeights', args.tieWeights, true);
    this.maskZero = optionalBool(who, 'maskZero', args.maskZero, false);
    this.init = args.embeddingsInitializer ?? 'random_uniform';
    initializerName(this.init, who, 'embeddingsInitializer');
    this.seed = optionalSeed(who, args.seed);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'TokenAndPositionEmbedding';
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, 2, 'token ids [batch, time]');
    checkSequenceLength(this.label, inputShape[1], this.sequenceLength, fmtKerasShape(inputShape));
    const s = this.seed;
    this.tokenEmbeddings = this.addWeight(
      'token_embedding/embeddings',
      [this.vocabularySize, this.embeddingDim],
      this.init,
      { seed: s },
    );
    this.positionEmbeddings = this.addWeight(
      'position_embedding/embeddings',
      [this.sequenceLength, this.embeddingDim],
      this.init,
      {
        seed: s === undefined ? undefined : s + 1,
      },
    );
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 2, 'token ids [batch, time]');
    checkSequenceLength(this.label, s[1], this.sequenceLength, fmtKerasShape(s));
    return [...s, this.embeddingDim];
  }

  override forward(x: Tensor): Tensor {
    if (x.dtype === 'bool')
      throw new DTypeError(`${this.label}: token ids must be integers, got bool of shape ${fmtShape(x.shape)}`);
    if (x.rank !== 2)
      throw new ShapeError(`${this.label}: expects token ids [batch, time], got shape ${fmtShape(x.shape)}`);
    checkSequenceLength(this.label, x.shape[1], this.sequenceLength, fmtShape(x.shape));
    const idx = x.dtype === 'int32' ? x : cast(x, 'int32');
    try {
      return tidy(() => {
        let tokens: Tensor;
        try {
          tokens = gather(this.tokenEmbeddings as Tensor, idx, 0);
        } catch (e) {
          if (e instanceof ArgumentError) {
            throw new ArgumentError(
              `${this.label}: a token id of the input of shape ${fmtShape(x.shape)} is outside the vocabulary [0, ${this.vocabularySize}) (${e.message})`,
            );
          }
          throw e;
        }
        return add(tokens, positions(this.positionEmbeddings as Tensor, x.shape[0], x.shape[1]));
      });
    } finally {
      if (idx !== x) idx.dispose();
    }
  }

  /** With maskZero, true where the token is not 0 (padding). */
  override computeMask(x: Tensor, _mask: Tensor | null): Tensor | null {
    return this.maskZero ? ne(x, 0) : null;
  }

  override outputMasked(_inputMasked: boolean): boolean {
    return this.maskZero;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      vocabularySize: this.vocabularySize,
      sequenceLength: this.sequenceLength,
      embeddingDim: this.embeddingDim,
      tieWeights: this.tieWeights,
      embeddingsInitializer: this.init,
      maskZero: this.maskZero,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}
