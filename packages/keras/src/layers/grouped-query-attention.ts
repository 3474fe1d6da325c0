import { ArgumentError } from '@tsdl/tensor';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs } from './layer';
import { layerOptions } from './layer-config';
import { MultiHeadAttention } from './multi-head-attention';
import { positiveInt } from './options';

const OPTIONS = [
  ...LAYER_OPTIONS,
  'headDim',
  'numQueryHeads',
  'numKeyValueHeads',
  'dropout',
  'useBias',
  'flashAttention',
  'kernelInitializer',
  'biasInitializer',
  'seed',
];

export interface GroupedQueryAttentionArgs extends LayerArgs {
  /** Size of each head (queries, keys and values alike). */
  headDim: number;
  numQueryHeads: number;
  /** Heads of the key and value projections; must divide numQueryHeads. */
  numKeyValueHeads: number;
  /** Dropout probability on the attention probabilities, in training only (default 0). */
  dropout?: number;
  /** Learn biases in the four projections (default true). */
  useBias?: boolean;
  /** Keras' switch for a fused kernel; accepted (so Keras configs load) and changes nothing: the result is the same. */
  flashAttention?: boolean | null;
  kernelInitializer?: string;
  biasInitializer?: string;
  /** Seed of the initial kernels and of the first dropout mask. */
  seed?: number;
}

/**
 * Keras' GroupedQueryAttention (also exported as GroupQueryAttention): multi-head
 * attention whose numQueryHeads query heads share numKeyValueHeads key/value heads,
 * query head u reading key/value head ⌊u / (numQueryHeads / numKeyValueHeads)⌋ (Keras'
 * ops.repeat on the head axis). Weights as Keras': `query/kernel` [features,
 * numQueryHeads, headDim], `key/…` and `value/…` [features, numKeyValueHeads, headDim],
 * `attention_output/kernel` [numQueryHeads, headDim, query features], biases beside
 * them; the output has the query's features. The computation is MultiHeadAttention's
 * (same call options, masks and functional use), which reads the shared heads in place.
 */
export class GroupedQueryAttention extends MultiHeadAttention {
  readonly headDim: number;
  readonly numQueryHeads: number;
  readonly numKeyValueHeads: number;
  readonly flashAttention: boolean | null;

  constructor(config: GroupedQueryAttentionArgs) {
    const who = 'GroupedQueryAttention';
    const a = layerOptions(
      who,
      config,
      'an options object ({ headDim, numQueryHeads, numKeyValueHeads, ... })',
      OPTIONS,
      new.target === GroupedQueryAttention,
    );
    const headDim = positiveInt(who, 'headDim', a.headDim);
    const numQueryHeads = positiveInt(who, 'numQueryHeads', a.numQueryHeads);
    const numKeyValueHeads = positiveInt(who, 'numKeyValueHeads', a.numKeyValueHeads);
    if (numQueryHeads % numKeyValueHeads !== 0) {
      throw new ArgumentError(
        `${who}: numQueryHeads (${numQueryHeads}) must be a multiple of numKeyValueHeads (${numKeyValueHeads})`,
      );
    }
    const fa: unknown = a.flashAttention;
    if (fa !== undefined && fa !== null && typeof fa !== 'boolean')
      throw new ArgumentError(`${who}: flashAttention must be a boolean or null, got ${quote(fa)}`);
    const { headDim: _h, numQueryHeads: _q, numKeyValueHeads: _k, flashAttention: _f, ...rest } = a;
    super({ ...rest, numHeads: numQueryHeads, keyDim: headDim });
    this.headDim = headDim;
    this.numQueryHeads = numQueryHeads;
    this.numKeyValueHeads = numKeyValueHeads;
    this.flashAttention = (fa as boolean | null | undefined) ?? null;
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'GroupedQueryAttention';
  }

  protected override get keyValueHeads(): number {
    return this.numKeyValueHeads;
  }

  override getConfig(): Record<string, unknown> {
    const { numHeads: _n, keyDim: _k, valueDim: _v, outputShape: _o, attentionAxes: _a, ...c } = super.getConfig();
    return {
      ...c,
      headDim: this.headDim,
      numQueryHeads: this.numQueryHeads,
      numKeyValueHeads: this.numKeyValueHeads,
      ...(this.flashAttention === null ? {} : { flashAttention: this.flashAttention }),
    };
  }
}
