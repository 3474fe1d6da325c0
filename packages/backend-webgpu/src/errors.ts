import { BackendError } from '@tsdl/tensor';

/**
 * WebGPU failures as TsdlError subclasses. A GPU reports most failures
 * asynchronously, so an error raised by one op's commands is thrown by the
 * next call into the backend (or rejects the pending read), naming the op.
 */

/** The GPU device was lost (driver reset, `destroy()`, the adapter went away): recreate the backend. */
export class DeviceLostError extends BackendError {}

/** The device could not allocate a buffer or a pipeline. */
export class GpuOutOfMemoryError extends BackendError {}

/** WebGPU rejected a command (a bug in this backend, or a limit of the adapter exceeded). */
export class GpuValidationError extends BackendError {}
