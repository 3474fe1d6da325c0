import type { Backend } from '../backend';

/**
 * What each backend method means to a step capture:
 * - kernel: makes new storage from views and host values; recorded and replayed
 * - refuse: a read (the host waits for values, so what the step does next may depend on
 *   them) or the backend's disposal; a trace that calls one is not replayed
 * - free, info: neither reads nor makes storage a step's results depend on
 *
 * A record over every method of the contract, so tsc refuses a method added to
 * `Backend` until it is classified here: an unclassified kernel would be left
 * out of every replay.
 */
export type MethodRole = 'kernel' | 'refuse' | 'free' | 'info';

export const METHOD_ROLES: Record<Exclude<keyof Backend, 'name'>, MethodRole> = {
  write: 'kernel',
  read: 'refuse',
  readSync: 'refuse',
  free: 'free',
  memory: 'info',
  maxElements: 'info',
  dispose: 'refuse',
  elementwise: 'kernel',
  reduce: 'kernel',
  concat: 'kernel',
  pad: 'kernel',
  gather: 'kernel',
  scatterAdd: 'kernel',
  matmul: 'kernel',
  random: 'kernel',
  elementwiseGroups: 'kernel',
  conv2d: 'kernel',
  conv2dGradInput: 'kernel',
  conv2dGradFilter: 'kernel',
  pool2d: 'kernel',
  pool2dGrad: 'kernel',
  softmax: 'kernel',
  softmaxCrossEntropy: 'kernel',
  softmaxCrossEntropyGrad: 'kernel',
  layerNorm: 'kernel',
  layerNormGrad: 'kernel',
  checkIndices: 'kernel',
};

/** The methods a trace wraps: kernels to record, and those that make it unreplayable. */
export const TRACED_METHODS = (Object.keys(METHOD_ROLES) as (keyof typeof METHOD_ROLES)[]).filter(
  (m) => METHOD_ROLES[m] === 'kernel' || METHOD_ROLES[m] === 'refuse',
);
