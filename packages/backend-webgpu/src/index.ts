/** @tsdl/backend-webgpu: the Backend contract on WebGPU with generated WGSL compute shaders. */
export {
  webgpu,
  webgpuFromDevice,
  WebGpuBackend,
  type WebGpuOptions,
  type WebGpuDeviceOptions,
} from './webgpu-backend';
export { DeviceLostError, GpuOutOfMemoryError, GpuValidationError } from './errors';
export { noAdapterMessage, swiftShaderIcd } from './device';
