// The few tensor and autograd entry points the helpers use, in one place.
export { type Tensor, dispose, mul, stack, sum, tensor, tidy } from '@tsdl/tensor';
export { noGrad as noGradScope } from '@tsdl/autograd';
