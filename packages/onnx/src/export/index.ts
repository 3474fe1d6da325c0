/**
 * @tsdl/onnx/export-keras: Keras models (from @tsdl/keras) as ONNX files.
 * A separate entry so that loading ONNX models does not pull in @tsdl/keras.
 */
export { exportOnnx, type ExportOnnxOptions } from './export-keras';
export { exportableLayers } from './keras-layers';
