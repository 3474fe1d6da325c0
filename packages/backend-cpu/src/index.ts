/** @tsdl/backend-cpu: the Backend contract on TypedArrays with generated JavaScript kernels. */
export { cpu, CpuBackend, type CpuBackendOptions } from './cpu-backend';
