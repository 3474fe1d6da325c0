import { ArgumentError, type Tensor, gelu, relu } from '@tsdl/tensor';
import { Module } from '../../module';
import { boolOption, checkOptionNames, positiveInt, seedOption } from '../recurrent/options';

/** The options of TransformerEncoderLayer and TransformerDecoderLayer (PyTorch's names, camelCased). */
export interface TransformerLayerOptions {
  /** The model's width (features of every position); also the first constructor argument. */
  dModel?: number;
  /** Attention heads; dModel must be divisible by it. Also the second constructor argument. */
  nhead?: number;
  /** Width of the feed-forward block's hidden layer (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability after attention, inside and after the feed-forward block, in training mode (default 0.1). */
  dropout?: number;
  /** The feed-forward block's activation: 'relu' (default), 'gelu' (exact), a function of a tensor, or a Module. */
  activation?: 'relu' | 'gelu' | ((x: Tensor) => Tensor) | Module;
  /** LayerNorm's eps (default 1e-5). */
  layerNormEps?: number;
  /** Inputs and output are [batch, seq, dModel] instead of [seq, batch, dModel] (default false). */
  batchFirst?: boolean;
  /** Normalise before each block (pre-norm) instead of after the residual sum (post-norm, the default). */
  normFirst?: boolean;
  /** Biases in the attention projections, the feed-forward Linears and the LayerNorms (default true; PyTorch ≥ 2.1's `bias`). */
  bias?: boolean;
  /** Seed of the initial weights (each submodule takes the next seeds); the global generator by default. */
  seed?: number;
}

export const LAYER_OPTION_NAMES = [
  'dModel',
  'nhead',
  'dimFeedforward',
  'dropout',
  'activation',
  'layerNormEps',
  'batchFirst',
  'normFirst',
  'bias',
  'seed',
] as const;

export interface LayerConfig {
  dModel: number;
  nhead: number;
  dimFeedforward: number;
  dropout: number;
  activation: TransformerLayerOptions['activation'];
  layerNormEps: number;
  batchFirst: boolean;
  normFirst: boolean;
  bias: boolean;
  seed: number | undefined;
}

/** `(dModel, nhead, options)` or `({ dModel, nhead, … })`, checked, with PyTorch's defaults. */
export function layerConfig(
  owner: string,
  first: number | TransformerLayerOptions,
  nhead: number | undefined,
  options: TransformerLayerOptions,
): LayerConfig {
  const given = typeof first === 'object' && first !== null ? first : options;
  checkOptionNames(owner, given, LAYER_OPTION_NAMES);
  const o: TransformerLayerOptions =
    typeof first === 'object' && first !== null ? first : { ...options, dModel: first, nhead };
  const dModel = positiveInt(owner, 'dModel', o.dModel);
  const heads = positiveInt(owner, 'nhead', o.nhead);
  if (dModel % heads !== 0) throw new ArgumentError(`${owner}: dModel ${dModel} must be divisible by nhead ${heads}`);
  const dropout = o.dropout ?? 0.1;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) {
    throw new ArgumentError(`${owner}: dropout must be a probability in [0, 1], got ${String(dropout)}`);
  }
  const eps = o.layerNormEps ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0))
    throw new ArgumentError(`${owner}: layerNormEps must be a number > 0, got ${String(eps)}`);
  const act = o.activation ?? 'relu';
  if (act !== 'relu' && act !== 'gelu' && typeof act !== 'function' && !(act instanceof Module)) {
    throw new ArgumentError(
      `${owner}: activation must be 'relu', 'gelu', a function or a Module, got ${JSON.stringify(act)}`,
    );
  }
  return {
    dModel,
    nhead: heads,
    dimFeedforward: o.dimFeedforward === undefined ? 2048 : positiveInt(owner, 'dimFeedforward', o.dimFeedforward),
    dropout,
    activation: act,
    layerNormEps: eps,
    batchFirst: boolOption(owner, 'batchFirst', o.batchFirst, false),
    normFirst: boolOption(owner, 'normFirst', o.normFirst, false),
    bias: boolOption(owner, 'bias', o.bias, true),
    seed: seedOption(owner, o.seed),
  };
}

/** The activation as a function; a Module activation is registered by the layer (PyTorch registers it too). */
export function activationFn(act: LayerConfig['activation']): (x: Tensor) => Tensor {
  if (act === 'gelu') return (x) => gelu(x);
  if (act === 'relu' || act === undefined) return relu;
  if (act instanceof Module) return (x) => act.call(x) as Tensor;
  return act;
}

/** A mask with two accepted names (PyTorch's layer says src_mask, its encoder mask): either, not both. */
export function pickMask(
  owner: string,
  a: Tensor | undefined,
  b: Tensor | undefined,
  names: [string, string],
): Tensor | undefined {
  if (a !== undefined && b !== undefined)
    throw new ArgumentError(`${owner}: pass ${names[0]} or ${names[1]}, not both (they are the same mask)`);
  return a ?? b;
}
