export {
  MultiheadAttention,
  type MultiheadAttentionOptions,
  type MultiheadAttentionForwardOptions,
} from './multihead-attention';
export {
  TransformerEncoderLayer,
  TransformerEncoder,
  type TransformerEncoderForwardOptions,
  type TransformerEncoderOptions,
} from './transformer-encoder';
export {
  TransformerDecoderLayer,
  TransformerDecoder,
  type TransformerDecoderForwardOptions,
  type TransformerDecoderOptions,
} from './transformer-decoder';
export type { TransformerLayerOptions } from './transformer-options';
