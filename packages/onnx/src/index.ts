/**
 * @tsdl/onnx: ONNX models in tsdl. `loadOnnx(bytes)` reads a .onnx file (as
 * torch.onnx.export writes them, opsets 7–18) and runs its graph with tsdl ops
 * on any backend. Exporting Keras models is `@tsdl/onnx/export-keras`.
 */
export { loadOnnx, OnnxModel, type LoadOnnxOptions, type OnnxTensorInfo } from './onnx-model';
export { OnnxUnsupportedError, type UnsupportedUse } from './errors';
export { supportedOperators } from './ops/registry';
export { OPSET_RANGE } from './graph/load-graph';
