export * from './creation';
export * from './elementwise';
export * from './reduce';
export * from './linalg';
export * from './shape';
export * from './nn';
export * from './softmax-ce';
export { toNested, type NestedArray } from './nested';
export { detach, toBackend, toBackendAsync, isContiguousTensor, copyContiguous, runElementwise, broadcastView } from './internal';
