export { RNNBase, type RecurrentOptions, type RecurrentForwardOptions } from './base';
export { RNN, LSTM, GRU, type RNNOptions, type LSTMOptions, type GRUOptions } from './layers';
export { RNNCell, LSTMCell, GRUCell, type CellOptions, type RNNCellOptions } from './cells';
