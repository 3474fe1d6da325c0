import { ArgumentError } from '@tsdl/tensor';

/**
 * Where the input and output dimensions of a weight are.
 *
 * - `'outIn'` (PyTorch; the default): a 2-D weight is `[out, in]` (Linear),
 *   a conv filter is `[out, in, ...kernel]` (`[O, C, kH, kW]`).
 * - `'inOut'` (Keras/TensorFlow): a 2-D weight is `[in, out]`, a conv filter is
 *   `[...kernel, in, out]` (`[kH, kW, C, O]`).
 */
export type WeightLayout = 'outIn' | 'inOut';

export interface Fans {
  fanIn: number;
  fanOut: number;
}

/**
 * Fan-in and fan-out of a weight of `shape`: the input (output) dimension
 * times the receptive field (product of the kernel dimensions). A 1-D shape
 * has fanIn = fanOut = its length and a 0-D shape 1 (as Keras; PyTorch rejects
 * fewer than 2 dimensions).
 */
export function computeFans(shape: readonly number[], layout: WeightLayout = 'outIn'): Fans {
  if (layout !== 'outIn' && layout !== 'inOut') {
    throw new ArgumentError(`computeFans: layout must be 'outIn' or 'inOut', got ${JSON.stringify(layout)}`);
  }
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  if (layout === 'outIn') {
    const rf = shape.slice(2).reduce((a, b) => a * b, 1);
    return { fanIn: shape[1] * rf, fanOut: shape[0] * rf };
  }
  const r = shape.length;
  const rf = shape.slice(0, r - 2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[r - 2] * rf, fanOut: shape[r - 1] * rf };
}

export type Nonlinearity =
  | 'linear'
  | 'identity'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'selu';

/**
 * The recommended gain for a nonlinearity (PyTorch's calculate_gain): 1 for
 * linear/conv/sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + slope²)) for
 * leakyRelu (slope defaults to 0.01), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'identity':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope))
        throw new ArgumentError(`calculateGain: negative slope must be a finite number, got ${slope}`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ArgumentError(`calculateGain: unknown nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}
