import { ArgumentError, type Tensor, tidy } from '@tsdl/tensor';
import { ModuleList } from '../../containers';
import { Module } from '../../module';
import { Dropout } from '../dropout';
import { LayerNorm } from '../layernorm';
import { Linear } from '../linear';
import { boolOption, checkOptionNames, positiveInt } from '../recurrent/options';
import { MultiheadAttention } from './multihead-attention';
import { checkSequence } from './transformer-encoder';
import { type LayerConfig, type TransformerLayerOptions, activationFn, layerConfig } from './transformer-options';

export interface TransformerDecoderForwardOptions {
  /** Self-attention mask over the target [T, T] or [N·nhead, T, T] (bool true = not allowed, or float added). */
  tgtMask?: Tensor;
  /** Cross-attention mask [T, S] or [N·nhead, T, S]. */
  memoryMask?: Tensor;
  /** Padding of each target sequence, [N, T]: bool true = padding, or float added. */
  tgtKeyPaddingMask?: Tensor;
  /** Padding of each memory sequence, [N, S]. */
  memoryKeyPaddingMask?: Tensor;
  /** Target position i attends to target positions 0..i only. */
  tgtIsCausal?: boolean;
  /** The causal mask on the cross-attention too (query i sees memory 0..i). */
  memoryIsCausal?: boolean;
}

const FORWARD_NAMES = [
  'tgtMask',
  'memoryMask',
  'tgtKeyPaddingMask',
  'memoryKeyPaddingMask',
  'tgtIsCausal',
  'memoryIsCausal',
] as const;

/**
 * One Transformer decoder block, as PyTorch's nn.TransformerDecoderLayer:
 * self-attention over the target, cross-attention from the target to the
 * encoder's output (`memory`), then the feed-forward block, each with
 * dropout, a residual connection and a LayerNorm (post-norm, or pre-norm
 * with `normFirst`). Submodules and state-dict names are PyTorch's:
 * self_attn, multihead_attn (the cross-attention), linear1, dropout, linear2,
 * norm1, norm2, norm3, dropout1, dropout2, dropout3.
 * `call(tgt, memory, options)`: tgt [T, N, dModel], memory [S, N, dModel]
 * (batchFirst: [N, T, dModel], [N, S, dModel]) → [T, N, dModel].
 */
export class TransformerDecoderLayer extends Module {
  readonly config: Readonly<LayerConfig>;
  readonly selfAttn: MultiheadAttention;
  readonly multiheadAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly dropout3: Dropout;
  private readonly act: (x: Tensor) => Tensor;

  /** `new TransformerDecoderLayer(dModel, nhead, options)` or `new TransformerDecoderLayer({ dModel, nhead, … })`. */
  constructor(
    dModelOrOptions: number | TransformerLayerOptions,
    nhead?: number,
    options: TransformerLayerOptions = {},
  ) {
    super();
    const c = layerConfig('TransformerDecoderLayer', dModelOrOptions, nhead, options);
    this.config = c;
    const s = (i: number): number | undefined => (c.seed === undefined ? undefined : c.seed + i);
    const attn = (i: number): MultiheadAttention =>
      new MultiheadAttention(c.dModel, c.nhead, {
        dropout: c.dropout,
        bias: c.bias,
        batchFirst: c.batchFirst,
        seed: s(i),
      });
    this.selfAttn = this.registerModule('self_attn', attn(0));
    this.multiheadAttn = this.registerModule('multihead_attn', attn(20));
    this.linear1 = this.registerModule(
      'linear1',
      new Linear(c.dModel, c.dimFeedforward, { bias: c.bias, seed: s(10) }),
    );
    this.dropout = this.registerModule('dropout', new Dropout(c.dropout, { seed: s(30) }));
    this.linear2 = this.registerModule(
      'linear2',
      new Linear(c.dimFeedforward, c.dModel, { bias: c.bias, seed: s(12) }),
    );
    const norm = (): LayerNorm => new LayerNorm(c.dModel, { eps: c.layerNormEps, bias: c.bias });
    this.norm1 = this.registerModule('norm1', norm());
    this.norm2 = this.registerModule('norm2', norm());
    this.norm3 = this.registerModule('norm3', norm());
    this.dropout1 = this.registerModule('dropout1', new Dropout(c.dropout, { seed: s(40) }));
    this.dropout2 = this.registerModule('dropout2', new Dropout(c.dropout, { seed: s(50) }));
    this.dropout3 = this.registerModule('dropout3', new Dropout(c.dropout, { seed: s(60) }));
    if (c.activation instanceof Module) this.registerModule('activation', c.activation);
    this.act = activationFn(c.activation);
  }

  override forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderForwardOptions = {}): Tensor {
    const owner = 'TransformerDecoderLayer';
    checkOptionNames(owner, options, FORWARD_NAMES, 'forward options');
    const tgtIsCausal = boolOption(owner, 'tgtIsCausal', options.tgtIsCausal, false);
    const memoryIsCausal = boolOption(owner, 'memoryIsCausal', options.memoryIsCausal, false);
    const { dModel, batchFirst } = this.config;
    checkSequence(owner, 'tgt', tgt, dModel, batchFirst);
    checkSequence(owner, 'memory', memory, dModel, batchFirst);
    return tidy(() => {
      const sa = (y: Tensor): Tensor => {
        const [a] = this.selfAttn.call(y, y, y, {
          attnMask: options.tgtMask,
          keyPaddingMask: options.tgtKeyPaddingMask,
          needWeights: false,
          isCausal: tgtIsCausal,
        });
        return this.dropout1.call(a);
      };
      const mha = (y: Tensor): Tensor => {
        const [a] = this.multiheadAttn.call(y, memory, memory, {
          attnMask: options.memoryMask,
          keyPaddingMask: options.memoryKeyPaddingMask,
          needWeights: false,
          isCausal: memoryIsCausal,
        });
        return this.dropout2.call(a);
      };
      const ff = (y: Tensor): Tensor =>
        this.dropout3.call(this.linear2.call(this.dropout.call(this.act(this.linear1.call(y)))));
      let x = tgt;
      if (this.config.normFirst) {
        x = x.add(sa(this.norm1.call(x)));
        x = x.add(mha(this.norm2.call(x)));
        x = x.add(ff(this.norm3.call(x)));
      } else {
        x = this.norm1.call(x.add(sa(x)));
        x = this.norm2.call(x.add(mha(x)));
        x = this.norm3.call(x.add(ff(x)));
      }
      return x;
    });
  }

  /** A new layer with this one's options and (shared, immutable) weights and mode: TransformerDecoder's copies. */
  clone(): TransformerDecoderLayer {
    const copy = new TransformerDecoderLayer({ ...this.config, seed: undefined });
    copy.loadStateDict(this.stateDict());
    return copy.train(this.training);
  }

  override extraRepr(): string {
    const c = this.config;
    return `dModel=${c.dModel}, nhead=${c.nhead}, dimFeedforward=${c.dimFeedforward}, normFirst=${c.normFirst}, batchFirst=${c.batchFirst}`;
  }
}

export interface TransformerDecoderOptions {
  /** A module applied to the last layer's output (usually a LayerNorm(dModel)); registered as `norm`. */
  norm?: Module;
}

/**
 * A stack of `numLayers` decoder layers, as PyTorch's nn.TransformerDecoder
 * (`layers.0.…`, then `norm.…`). The given layer becomes layers.0 and the
 * others are its clones (PyTorch's deep copies); the decoder owns them all.
 * Every layer attends to the same `memory`.
 */
export class TransformerDecoder extends Module {
  readonly layers: ModuleList;
  readonly norm: Module | null;
  readonly numLayers: number;

  constructor(decoderLayer: TransformerDecoderLayer, numLayers: number, options: TransformerDecoderOptions = {}) {
    super();
    const owner = 'TransformerDecoder';
    if (!(decoderLayer instanceof TransformerDecoderLayer))
      throw new ArgumentError(`${owner}: decoderLayer must be a TransformerDecoderLayer`);
    this.numLayers = positiveInt(owner, 'numLayers', numLayers);
    checkOptionNames(owner, options, ['norm']);
    if (options.norm !== undefined && !(options.norm instanceof Module))
      throw new ArgumentError(`${owner}: norm must be a Module`);
    const layers = [decoderLayer];
    for (let i = 1; i < numLayers; i++) layers.push(decoderLayer.clone());
    this.layers = this.registerModule('layers', new ModuleList(layers));
    this.norm = options.norm ? this.registerModule('norm', options.norm) : null;
  }

  override forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderForwardOptions = {}): Tensor {
    checkOptionNames('TransformerDecoder', options, FORWARD_NAMES, 'forward options');
    return tidy(() => {
      let x = tgt;
      for (const layer of this.layers) x = (layer as TransformerDecoderLayer).call(x, memory, options);
      return this.norm ? (this.norm.call(x) as Tensor) : x;
    });
  }

  override extraRepr(): string {
    return `numLayers=${this.numLayers}`;
  }
}
