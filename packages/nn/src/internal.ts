/**
 * @tsdl/nn/internal: what keras shares with nn (the strict JSON parser that safetensors headers
 * go through, the fused recurrent sequence ops). Not for users and not semver-stable.
 */
export { type Json, JsonError, parseStrictJson } from './io/strict-json';
// The fused recurrent sequences nn's and keras' LSTM, GRU and tanh RNN layers run (one recorded op per sequence).
export { type SequenceAttrs, traceBlock, traceSteps } from './layers/recurrent/fused/kernels';
export { LSTM_TRACE, lstmSequence } from './layers/recurrent/fused/lstm-sequence';
export { GRU_TRACE, gruSequence } from './layers/recurrent/fused/gru-sequence';
export { RNN_TRACE, rnnSequence } from './layers/recurrent/fused/rnn-sequence';
