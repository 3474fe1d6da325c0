import { ArgumentError, ShapeError, type Tensor, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { ModuleList } from '../../containers';
import { Module } from '../../module';
import { Dropout } from '../dropout';
import { LayerNorm } from '../layernorm';
import { Linear } from '../linear';
import { boolOption, checkOptionNames, positiveInt } from '../recurrent/options';
import { MultiheadAttention } from './multihead-attention';
import {
  type LayerConfig,
  type TransformerLayerOptions,
  activationFn,
  layerConfig,
  pickMask,
} from './transformer-options';

export interface TransformerEncoderForwardOptions {
  /** Self-attention mask [S, S] or [N·nhead, S, S], MultiheadAttention's convention (bool true = not allowed, or float added). */
  mask?: Tensor;
  /** The same as `mask` (PyTorch's TransformerEncoderLayer calls it src_mask); give one of them. */
  srcMask?: Tensor;
  /** Padding of each sequence, [N, S]: bool true = padding (ignored), or float added. */
  srcKeyPaddingMask?: Tensor;
  /** Position i attends to positions 0..i only (see MultiheadAttention's isCausal). */
  isCausal?: boolean;
}

const FORWARD_NAMES = ['mask', 'srcMask', 'srcKeyPaddingMask', 'isCausal'] as const;

/** Checks that `x` is a float32 [S, N, dModel] / [N, S, dModel] (or unbatched [S, dModel]) sequence. */
export function checkSequence(owner: string, what: string, x: Tensor, dModel: number, batchFirst: boolean): void {
  if (x === null || typeof x !== 'object' || !('shape' in x))
    throw new ArgumentError(`${owner}: ${what} must be a Tensor, got ${String(x)}`);
  if ((x.rank !== 2 && x.rank !== 3) || x.shape[x.rank - 1] !== dModel) {
    const want = batchFirst ? `[N, S, ${dModel}]` : `[S, N, ${dModel}]`;
    throw new ShapeError(
      `${owner}: ${what} must be ${want} or unbatched [S, ${dModel}] (dModel = ${dModel}), got ${fmtShape(x.shape)}`,
    );
  }
}

/**
 * One Transformer encoder block, as PyTorch's nn.TransformerEncoderLayer:
 * self-attention then a feed-forward block (linear1 → activation → dropout →
 * linear2), each with dropout, a residual connection and a LayerNorm, after
 * the sum (post-norm, the default) or before the block (`normFirst`).
 * Submodules and state-dict names are PyTorch's: self_attn (a
 * MultiheadAttention), linear1, dropout, linear2, norm1, norm2, dropout1,
 * dropout2. Input and output are [S, N, dModel] ([N, S, dModel] with
 * batchFirst, or unbatched [S, dModel]).
 */
export class TransformerEncoderLayer extends Module {
  readonly config: Readonly<LayerConfig>;
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  private readonly act: (x: Tensor) => Tensor;

  /** `new TransformerEncoderLayer(dModel, nhead, options)` or `new TransformerEncoderLayer({ dModel, nhead, … })`. */
  constructor(
    dModelOrOptions: number | TransformerLayerOptions,
    nhead?: number,
    options: TransformerLayerOptions = {},
  ) {
    super();
    const c = layerConfig('TransformerEncoderLayer', dModelOrOptions, nhead, options);
    this.config = c;
    const s = (i: number): number | undefined => (c.seed === undefined ? undefined : c.seed + i);
    this.selfAttn = this.registerModule(
      'self_attn',
      new MultiheadAttention(c.dModel, c.nhead, {
        dropout: c.dropout,
        bias: c.bias,
        batchFirst: c.batchFirst,
        seed: s(0),
      }),
    );
    this.linear1 = this.registerModule(
      'linear1',
      new Linear(c.dModel, c.dimFeedforward, { bias: c.bias, seed: s(10) }),
    );
    this.dropout = this.registerModule('dropout', new Dropout(c.dropout, { seed: s(30) }));
    this.linear2 = this.registerModule(
      'linear2',
      new Linear(c.dimFeedforward, c.dModel, { bias: c.bias, seed: s(12) }),
    );
    this.norm1 = this.registerModule('norm1', new LayerNorm(c.dModel, { eps: c.layerNormEps, bias: c.bias }));
    this.norm2 = this.registerModule('norm2', new LayerNorm(c.dModel, { eps: c.layerNormEps, bias: c.bias }));
    this.dropout1 = this.registerModule('dropout1', new Dropout(c.dropout, { seed: s(40) }));
    this.dropout2 = this.registerModule('dropout2', new Dropout(c.dropout, { seed: s(50) }));
    if (c.activation instanceof Module) this.registerModule('activation', c.activation);
    this.act = activationFn(c.activation);
  }

  override forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    const owner = 'TransformerEncoderLayer';
    checkOptionNames(owner, options, FORWARD_NAMES, 'forward options');
    const mask = pickMask(owner, options.mask, options.srcMask, ['mask', 'srcMask']);
    const isCausal = boolOption(owner, 'isCausal', options.isCausal, false);
    checkSequence(owner, 'src', src, this.config.dModel, this.config.batchFirst);
    return tidy(() => {
      // Only the attention cares which axis is the batch (it was made with batchFirst); the rest is position-wise.
      let x = src;
      const sa = (y: Tensor): Tensor => {
        const [a] = this.selfAttn.call(y, y, y, {
          attnMask: mask,
          keyPaddingMask: options.srcKeyPaddingMask,
          needWeights: false,
          isCausal,
        });
        return this.dropout1.call(a);
      };
      const ff = (y: Tensor): Tensor =>
        this.dropout2.call(this.linear2.call(this.dropout.call(this.act(this.linear1.call(y)))));
      if (this.config.normFirst) {
        x = x.add(sa(this.norm1.call(x)));
        x = x.add(ff(this.norm2.call(x)));
      } else {
        x = this.norm1.call(x.add(sa(x)));
        x = this.norm2.call(x.add(ff(x)));
      }
      return x;
    });
  }

  /**
   * A new layer with this one's options and (shared, immutable) weights and
   * mode: TransformerEncoder's copies, as PyTorch's deepcopy. A Module
   * activation is shared, not copied.
   */
  clone(): TransformerEncoderLayer {
    const copy = new TransformerEncoderLayer({ ...this.config, seed: undefined });
    copy.loadStateDict(this.stateDict());
    return copy.train(this.training);
  }

  override extraRepr(): string {
    const c = this.config;
    return `dModel=${c.dModel}, nhead=${c.nhead}, dimFeedforward=${c.dimFeedforward}, normFirst=${c.normFirst}, batchFirst=${c.batchFirst}`;
  }
}

export interface TransformerEncoderOptions {
  /** A module applied to the last layer's output (PyTorch's `norm`, usually a LayerNorm(dModel)); registered as `norm`. */
  norm?: Module;
  /** Accepted for PyTorch's signature; it selects a CUDA fast path there and changes nothing here. */
  enableNestedTensor?: boolean;
}

/**
 * A stack of `numLayers` encoder layers, as PyTorch's nn.TransformerEncoder
 * (`layers.0.…`, `layers.1.…`, then `norm.…`). The given layer becomes
 * layers.0 and the others are its clones (the same initial weights, as
 * PyTorch's deep copies); the encoder owns them all, so disposing it
 * disposes the layer too.
 */
export class TransformerEncoder extends Module {
  readonly layers: ModuleList;
  readonly norm: Module | null;
  readonly numLayers: number;

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, options: TransformerEncoderOptions = {}) {
    super();
    const owner = 'TransformerEncoder';
    if (!(encoderLayer instanceof TransformerEncoderLayer))
      throw new ArgumentError(`${owner}: encoderLayer must be a TransformerEncoderLayer`);
    this.numLayers = positiveInt(owner, 'numLayers', numLayers);
    checkOptionNames(owner, options, ['norm', 'enableNestedTensor']);
    boolOption(owner, 'enableNestedTensor', options.enableNestedTensor, true);
    if (options.norm !== undefined && !(options.norm instanceof Module))
      throw new ArgumentError(`${owner}: norm must be a Module`);
    const layers = [encoderLayer];
    for (let i = 1; i < numLayers; i++) layers.push(encoderLayer.clone());
    this.layers = this.registerModule('layers', new ModuleList(layers));
    this.norm = options.norm ? this.registerModule('norm', options.norm) : null;
  }

  override forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    checkOptionNames('TransformerEncoder', options, FORWARD_NAMES, 'forward options');
    return tidy(() => {
      let x = src;
      for (const layer of this.layers) x = (layer as TransformerEncoderLayer).call(x, options);
      return this.norm ? (this.norm.call(x) as Tensor) : x;
    });
  }

  override extraRepr(): string {
    return `numLayers=${this.numLayers}`;
  }
}
