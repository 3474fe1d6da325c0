/**
 * @tsdl/keras/keras-file: Keras 3 `.keras` files in and out. A separate entry,
 * so that only programs that read or write .keras files load HDF5 (h5wasm, a
 * few MB of WebAssembly) and the zip library.
 */
export { loadKerasFile, modelFromKerasBytes } from './io/keras-file/keras-load';
export { modelToKerasBytes, saveKerasFile } from './io/keras-file/keras-save';
