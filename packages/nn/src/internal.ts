/**
 * @tsdl/nn/internal: what keras shares with nn (the strict JSON parser that safetensors headers
 * go through, the fused recurrent sequence ops). Not for users and not semver-stable.
 */
export { type Json, JsonError, parseStrictJson } from './io/strict-json';
// The fused recurrent sequences nn's and keras' LSTM, GRU and tanh RNN layers run (one recorded op per sequence,
// or forward-only where no gradient can be taken).
export { type SequenceAttrs } from './layers/recurrent/fused/kernels';
export { type SequenceStates } from './layers/recurrent/fused/forward-only';
export { lstmSequence, lstmStates } from './layers/recurrent/fused/lstm-sequence';
export { gruSequence, gruStates } from './layers/recurrent/fused/gru-sequence';
export { gruV1States } from './layers/recurrent/fused/gru-v1-sequence';
export { rnnSequence, rnnStates } from './layers/recurrent/fused/rnn-sequence';
