import type { Tensor } from '@tsdl/tensor';
import type { HostArray } from '../tensor-proto';

/**
 * A value flowing through the graph: on the host (shapes, small int64
 * constants, the arithmetic torch.onnx.export writes about shapes) or a tsdl
 * tensor on the model's backend. `type` is the ONNX data type, which the tsdl
 * dtype does not tell apart (int64 and int32 are both int32 tensors).
 */
export type Value = ({ kind: 'host' } & HostArray) | { kind: 'device'; type: number; tensor: Tensor };
export type HostValue = Extract<Value, { kind: 'host' }>;
export type DeviceValue = Extract<Value, { kind: 'device' }>;

export const host = (a: HostArray): HostValue => ({ kind: 'host', type: a.type, shape: a.shape, data: a.data });
export const device = (tensor: Tensor, type: number): DeviceValue => ({ kind: 'device', type, tensor });

export const shapeOf = (v: Value): readonly number[] => (v.kind === 'host' ? v.shape : v.tensor.shape);

/** Host values with more elements than this are computed on the device instead. */
export const HOST_LIMIT = 4096;
