import {
  ArgumentError,
  AxisError,
  type Backend,
  BackendError,
  DisposedError,
  DTypeError,
  type DType,
  GradientError,
  ShapeError,
  TsdlError,
  arange,
  argmax,
  argmin,
  avgPool2d,
  broadcastTo,
  cast,
  concat,
  conv2d,
  dropout,
  flatten,
  gather,
  gelu,
  getBackend,
  linspace,
  logSoftmax,
  matmul,
  max,
  maxPool2d,
  mean,
  min,
  mul,
  neg,
  oneHot,
  ones,
  pad,
  rand,
  randint,
  reshape,
  scalar,
  setBackend,
  slice,
  softmax,
  split,
  squeeze,
  stack,
  sub,
  sum,
  tensor,
  tile,
  transpose,
  unsqueeze,
  where,
  zeros,
  add,
  clip,
  eye,
  full,
  tidy,
} from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context';
import { capture, escapeRe } from './helpers';

type ErrorClass = new (message: string) => TsdlError;

/**
 * One bad call: what it does, the error class it must throw, and a pattern
 * its message must match. Patterns name the op and what it got and expected
 * (shapes, axes, dtypes), so a vague message fails the row.
 */
interface BadCall {
  name: string;
  call: (env: Env) => unknown;
  error: ErrorClass;
  message: RegExp | ((env: Env) => RegExp);
}

/** What rows may use: the backend under test and a second instance of it. */
interface Env {
  main: Backend;
  other: Backend;
}

const f = (shape: number[]) => zeros(shape);
const disposed = (shape: number[] = [2]) => {
  const t = zeros(shape);
  t.dispose();
  return t;
};
const on = (b: Backend, shape: number[]) => zeros(shape, 'float32', { backend: b });
const asAny = <T>(x: unknown): T => x as T;

const TABLE: BadCall[] = [
  // ---- broadcasting and elementwise
  {
    name: 'add of non-broadcastable shapes',
    call: () => add(f([2, 3]), f([4])),
    error: ShapeError,
    message: /^add: shapes \[2,3\] and \[4\] cannot be broadcast together \(dimension 1 of the result: 3 vs 4\)/,
  },
  {
    name: 'mul of [2,3] and [3,2]',
    call: () => mul(f([2, 3]), f([3, 2])),
    error: ShapeError,
    message: /^mul: shapes \[2,3\] and \[3,2\] cannot be broadcast/,
  },
  {
    name: 'where with a non-broadcastable branch',
    call: () => where(ones([2, 3], 'bool'), f([2, 3]), f([4])),
    error: ShapeError,
    message: /^where: shapes \[2,3\] and \[4\] cannot be broadcast/,
  },
  {
    name: 'clip with min > max',
    call: () => clip(f([2]), 1, 0),
    error: ArgumentError,
    message: /^clip: min \(1\) must be <= max \(0\)/,
  },
  {
    name: 'gelu with an unknown approximation',
    call: () => gelu(f([2]), asAny('exact')),
    error: ArgumentError,
    message: /^gelu: approximate must be 'none' or 'tanh', got "exact"/,
  },
  {
    name: 'broadcastTo an incompatible shape',
    call: () => broadcastTo(f([3]), [2, 4]),
    error: ShapeError,
    message: /^broadcastTo: shapes \[3\] and \[2,4\] cannot be broadcast/,
  },
  {
    name: 'broadcastTo a smaller shape',
    call: () => broadcastTo(f([2, 3]), [3]),
    error: ShapeError,
    message: /^broadcastTo: shape \[2,3\] cannot be broadcast to \[3\]/,
  },

  // ---- matmul
  {
    name: 'matmul inner-dim mismatch',
    call: () => matmul(f([2, 3]), f([4, 5])),
    error: ShapeError,
    message: /^matmul: shapes \[2,3\] and \[4,5\] cannot be multiplied \(3 != 4\)/,
  },
  {
    name: 'matmul vector-matrix mismatch',
    call: () => matmul(f([3]), f([4, 2])),
    error: ShapeError,
    message: /^matmul: shapes \[3\] and \[4,2\] cannot be multiplied \(3 != 4\)/,
  },
  {
    name: 'matmul with transposeB mismatch',
    call: () => matmul(f([2, 3]), f([3, 4]), { transposeB: true }),
    error: ShapeError,
    message: /^matmul: shapes \[2,3\] and \[4,3\] cannot be multiplied \(3 != 4\)/,
  },
  {
    name: 'matmul of a 0-D operand',
    call: () => matmul(scalar(2), f([2, 2])),
    error: ShapeError,
    message: /^matmul: operands must be at least 1-D, got shapes \[\] and \[2,2\]/,
  },
  {
    name: 'matmul batch mismatch',
    call: () => matmul(f([2, 2, 3]), f([3, 3, 4])),
    error: ShapeError,
    message:
      /^matmul: batch dimensions of shapes \[2,2,3\] and \[3,3,4\] cannot be broadcast together \(\[2\] vs \[3\]\)/,
  },

  // ---- reshape and views
  {
    name: 'reshape size mismatch',
    call: () => reshape(f([2, 3]), [4]),
    error: ShapeError,
    message: /^reshape: cannot reshape a tensor of shape \[2,3\] \(6 elements\) into \[4\] \(4 elements\)/,
  },
  {
    name: 'reshape with two -1',
    call: () => reshape(f([2, 3]), [-1, -1]),
    error: ShapeError,
    message: /^reshape: only one dimension can be -1, got \[-1,-1\] for a tensor of shape \[2,3\]/,
  },
  {
    name: 'reshape where -1 cannot divide',
    call: () => reshape(f([2, 3]), [4, -1]),
    error: ShapeError,
    message: /^reshape: cannot reshape a tensor of shape \[2,3\] \(6 elements\) into \[4,-1\]/,
  },
  {
    name: 'reshape with a negative dimension',
    call: () => reshape(f([2, 3]), [-2, -3]),
    error: ShapeError,
    message: /^reshape: shape \[-2,-3\] has an invalid dimension -2/,
  },
  {
    name: 'flatten with start after end',
    call: () => flatten(f([2, 3, 4]), 2, 1),
    error: AxisError,
    message: /^flatten: startAxis 2 comes after endAxis 1/,
  },
  {
    name: 'squeeze of a non-1 axis',
    call: () => squeeze(f([2, 1, 3]), 0),
    error: ShapeError,
    message: /^squeeze: axis 0 of shape \[2,1,3\] has size 2, not 1/,
  },
  {
    name: 'squeeze axis out of range',
    call: () => squeeze(f([2, 1]), 2),
    error: AxisError,
    message: /^squeeze: axis 2 is out of range for a tensor of rank 2 \(expected -2 to 1\)/,
  },
  {
    name: 'unsqueeze axis out of range (positive)',
    call: () => unsqueeze(f([2, 3]), 3),
    error: AxisError,
    message: /^unsqueeze: axis 3 is out of range for inserting into a tensor of shape \[2,3\] \(expected -3 to 2\)/,
  },
  {
    name: 'unsqueeze axis out of range (negative)',
    call: () => unsqueeze(f([2, 3]), -4),
    error: AxisError,
    message: /^unsqueeze: axis -4 is out of range for inserting into a tensor of shape \[2,3\]/,
  },
  {
    name: 'transpose with a short permutation',
    call: () => transpose(f([2, 3, 4]), [0, 1]),
    error: AxisError,
    message: /^transpose: perm \[0,1\] is not a permutation of the 3 axes of shape \[2,3,4\]/,
  },
  {
    name: 'transpose with a repeated axis',
    call: () => transpose(f([2, 3, 4]), [0, 0, 1]),
    error: AxisError,
    message: /^transpose: perm \[0,0,1\] is not a permutation of the 3 axes of shape \[2,3,4\]/,
  },
  {
    name: 'transpose with an axis out of range',
    call: () => transpose(f([2, 3]), [0, 2]),
    error: AxisError,
    message: /^transpose: axis 2 is out of range for a tensor of rank 2/,
  },
  {
    name: 'slice with more axes than the rank',
    call: () => slice(f([2, 3]), [0, 0, 0]),
    error: AxisError,
    message: /^slice: got 3 axes for a tensor of rank 2/,
  },
  {
    name: 'slice with step 0',
    call: () => slice(f([4]), [0], [4], [0]),
    error: ArgumentError,
    message: /^slice: step 0 on axis 0 must be a positive integer/,
  },
  {
    name: 'slice with a fractional index',
    call: () => slice(f([4]), [0.5]),
    error: ArgumentError,
    message: /^slice: index 0.5 on axis 0 is not an integer/,
  },

  // ---- axes in reductions and softmax
  {
    name: 'sum axis out of range (positive)',
    call: () => sum(f([2, 3]), 2),
    error: AxisError,
    message: /^sum: axis 2 is out of range for a tensor of rank 2 \(expected -2 to 1\)/,
  },
  {
    name: 'sum axis out of range (negative)',
    call: () => sum(f([2, 3]), -3),
    error: AxisError,
    message: /^sum: axis -3 is out of range for a tensor of rank 2 \(expected -2 to 1\)/,
  },
  {
    name: 'sum with a repeated axis',
    call: () => sum(f([2, 3]), [0, -2]),
    error: AxisError,
    message: /^sum: axis 0 appears more than once in \[0,-2\]/,
  },
  {
    name: 'sum with a fractional axis',
    call: () => sum(f([2, 3]), 0.5),
    error: AxisError,
    message: /^sum: axis must be an integer, got number 0.5/,
  },
  {
    name: 'sum with a NaN axis',
    call: () => sum(f([2, 3]), NaN),
    error: AxisError,
    message: /^sum: axis must be an integer, got number NaN/,
  },
  {
    name: 'sum with a string axis',
    call: () => sum(f([2, 3]), asAny('1')),
    error: AxisError,
    message: /^sum: axes must be an integer or an array of integers, got string "1"/,
  },
  {
    name: 'sum with an object as axes',
    call: () => sum(f([2, 3]), asAny({})),
    error: AxisError,
    message: /^sum: axes must be an integer or an array of integers, got Object \{\}/,
  },
  {
    name: 'max with a string among its axes',
    call: () => max(f([2, 3]), asAny([0, '1'])),
    error: AxisError,
    message: /^max: axis must be an integer, got string "1"/,
  },
  {
    name: 'argmax with a fractional axis',
    call: () => argmax(f([2, 3]), 1.5),
    error: AxisError,
    message: /^argmax: axis must be an integer, got number 1.5/,
  },
  {
    name: 'softmax with a string axis',
    call: () => softmax(f([2, 3]), asAny('1')),
    error: AxisError,
    message: /^softmax: axis must be an integer, got string "1"/,
  },

  // ---- reductions with no values: PyTorch raises for these where sum and prod give 0 and 1
  {
    name: 'max of an empty tensor',
    call: () => max(f([0])),
    error: ShapeError,
    message: /^max: cannot reduce a tensor with no elements \(shape \[0\]\); the max of no values is undefined/,
  },
  {
    name: 'argmax of an empty tensor',
    call: () => argmax(f([0])),
    error: ShapeError,
    message: /^argmax: cannot reduce a tensor with no elements \(shape \[0\]\)/,
  },
  {
    name: 'min over an empty axis',
    call: () => min(f([3, 0]), 1),
    error: ShapeError,
    message: /^min: cannot reduce over axis 1 of shape \[3,0\], which has size 0; the min of no values is undefined/,
  },
  {
    name: 'argmin over an empty axis',
    call: () => argmin(f([0, 2]), 0),
    error: ShapeError,
    message: /^argmin: cannot reduce over axis 0 of shape \[0,2\], which has size 0/,
  },

  // ---- operands that are not tensors, numbers or booleans
  {
    name: 'add of a string',
    call: () => add(f([2]), asAny('1')),
    error: ArgumentError,
    message: /^add: argument 2 \(b\) must be a Tensor, a number or a boolean, got string "1"$/,
  },
  {
    name: 'add of null',
    call: () => add(f([2]), asAny(null)),
    error: ArgumentError,
    message: /^add: argument 2 \(b\) must be a Tensor, a number or a boolean, got null$/,
  },
  {
    name: 'sub from undefined',
    call: () => sub(asAny(undefined), f([2])),
    error: ArgumentError,
    message: /^sub: argument 1 \(a\) must be a Tensor, a number or a boolean, got undefined$/,
  },
  {
    name: 'mul by a JS array',
    call: () => mul(f([2]), asAny([1, 2])),
    error: ArgumentError,
    message:
      /^mul: argument 2 \(b\) must be a Tensor, a number or a boolean, got an array \[1,2\]; make it a tensor with tensor\(\) first/,
  },
  {
    name: 'where with an object branch',
    call: () => where(ones([2], 'bool'), f([2]), asAny({})),
    error: ArgumentError,
    message: /^where: argument 3 \(b\) must be a Tensor, a number or a boolean, got Object \{\}/,
  },
  {
    name: 'neg of a string',
    call: () => neg(asAny('1')),
    error: ArgumentError,
    message: /^neg: argument 1 \(x\) must be a Tensor, got string "1"/,
  },
  {
    name: 'sum of null',
    call: () => sum(asAny(null)),
    error: ArgumentError,
    message: /^sum: argument 1 \(x\) must be a Tensor, got null/,
  },
  {
    name: 'matmul of a JS array',
    call: () => matmul(f([2, 2]), asAny([[1], [2]])),
    error: ArgumentError,
    message:
      /^matmul: argument 2 \(b\) must be a Tensor, got an array \[\[1\],\[2\]\]; make it a tensor with tensor\(\) first/,
  },
  {
    name: 'reshape of a number',
    call: () => reshape(asAny(3), [1]),
    error: ArgumentError,
    message: /^reshape: argument 1 \(x\) must be a Tensor, got number 3/,
  },
  {
    name: 'mean axis out of range',
    call: () => mean(f([2, 3]), 5),
    error: AxisError,
    message: /^mean: axis 5 is out of range for a tensor of rank 2/,
  },
  {
    name: 'argmax axis out of range',
    call: () => argmax(f([2, 3]), -3),
    error: AxisError,
    message: /^argmax: axis -3 is out of range for a tensor of rank 2/,
  },
  {
    name: 'softmax axis out of range (positive)',
    call: () => softmax(f([2, 3]), 2),
    error: AxisError,
    message: /^softmax: axis 2 is out of range for a tensor of rank 2 \(expected -2 to 1\)/,
  },
  {
    name: 'logSoftmax axis out of range (negative)',
    call: () => logSoftmax(f([2, 3]), -3),
    error: AxisError,
    message: /^logSoftmax: axis -3 is out of range for a tensor of rank 2/,
  },
  {
    name: 'softmax of a 0-D tensor',
    call: () => softmax(scalar(1)),
    error: ShapeError,
    message: /^softmax: needs a tensor of rank >= 1, got a scalar/,
  },

  // ---- joining and splitting
  {
    name: 'concat axis out of range',
    call: () => concat([f([2, 3]), f([2, 3])], 2),
    error: AxisError,
    message: /^concat: axis 2 is out of range for a tensor of rank 2/,
  },
  {
    name: 'concat of mismatched shapes',
    call: () => concat([f([2, 3]), f([2, 4])], 0),
    error: ShapeError,
    message: /^concat: shapes \[2,3\], \[2,4\] do not match except on axis 0/,
  },
  {
    name: 'concat of mismatched ranks',
    call: () => concat([f([2, 3]), f([2])], 0),
    error: ShapeError,
    message: /^concat: shapes \[2,3\], \[2\] do not match except on axis 0/,
  },
  {
    name: 'concat of nothing',
    call: () => concat([]),
    error: ArgumentError,
    message: /^concat: needs at least one tensor/,
  },
  {
    name: 'stack of different shapes',
    call: () => stack([f([2]), f([3])]),
    error: ShapeError,
    message: /^stack: all shapes must be equal, got \[2\], \[3\]/,
  },
  {
    name: 'split into parts that do not divide',
    call: () => split(f([5, 2]), 2),
    error: ShapeError,
    message: /^split: axis 0 of shape \[5,2\] \(size 5\) cannot be split into 2 equal parts/,
  },
  {
    name: 'split sizes that do not add up',
    call: () => split(f([5]), [2, 2]),
    error: ShapeError,
    message: /^split: sizes \[2,2\] do not add up to 5, the size of axis 0/,
  },
  {
    name: 'split with a negative size',
    call: () => split(f([3]), [4, -1]),
    error: ArgumentError,
    message: /^split: sizes must be integers >= 0, got \[4,-1\]/,
  },
  {
    name: 'split axis out of range',
    call: () => split(f([4]), 2, 1),
    error: AxisError,
    message: /^split: axis 1 is out of range for a tensor of rank 1/,
  },
  {
    name: 'pad with the wrong number of pairs',
    call: () => pad(f([2, 3]), [[1, 1]]),
    error: ShapeError,
    message: /^pad: got 1 \[before, after\] pairs for a tensor of shape \[2,3\] \(expected 2\)/,
  },
  {
    name: 'pad with a negative width',
    call: () => pad(f([2]), [[-1, 0]]),
    error: ArgumentError,
    message: /^pad: each pad must be a pair of integers >= 0, got \[-1,0\]/,
  },
  {
    name: 'tile with negative reps',
    call: () => tile(f([2]), [-1]),
    error: ArgumentError,
    message: /^tile: reps must be integers >= 0, got \[-1\]/,
  },

  // ---- indices
  {
    name: 'gather with float indices',
    call: () => gather(f([3, 2]), tensor([0, 1])),
    error: DTypeError,
    message: /^gather: indices must be int32, got float32/,
  },
  {
    name: 'gather axis out of range',
    call: () => gather(f([3, 2]), tensor([0], undefined, 'int32'), 2),
    error: AxisError,
    message: /^gather: axis 2 is out of range for a tensor of rank 2/,
  },
  {
    name: 'oneHot with a negative depth',
    call: () => oneHot(tensor([0, 1], undefined, 'int32'), -1),
    error: ArgumentError,
    message: /^oneHot: depth must be a positive integer, got -1/,
  },
  {
    name: 'oneHot with float indices',
    call: () => oneHot(tensor([0, 1]), 3),
    error: DTypeError,
    message: /^oneHot: indices must be int32, got float32/,
  },

  // ---- convolution and pooling
  {
    name: 'conv2d channel mismatch',
    call: () => conv2d(f([1, 5, 5, 3]), f([3, 3, 2, 4])),
    error: ShapeError,
    message: /^conv2d: input \[1,5,5,3\] has 3 channels but filter \[3,3,2,4\] expects 2/,
  },
  {
    name: 'conv2d of a 3-D input',
    call: () => conv2d(f([5, 5, 3]), f([3, 3, 3, 4])),
    error: ShapeError,
    message: /^conv2d: input must be 4-D, got shape \[5,5,3\]/,
  },
  {
    name: 'conv2d with a 3-D filter',
    call: () => conv2d(f([1, 5, 5, 3]), f([3, 3, 3])),
    error: ShapeError,
    message: /^conv2d: filter must be 4-D, got shape \[3,3,3\]/,
  },
  {
    name: 'conv2d with stride 0',
    call: () => conv2d(f([1, 5, 5, 3]), f([3, 3, 3, 4]), { strides: 0 }),
    error: ArgumentError,
    message: /^conv2d: strides must be positive integers, got 0/,
  },
  {
    name: 'conv2d of an int32 input',
    call: () => conv2d(zeros([1, 5, 5, 3], 'int32'), f([3, 3, 3, 4])),
    error: DTypeError,
    message: /^conv2d: input must be float32, got int32/,
  },
  {
    name: 'conv2d kernel larger than a valid input',
    call: () => conv2d(f([1, 2, 2, 1]), f([3, 3, 1, 1])),
    error: ShapeError,
    message: /^conv2d: a window of 3 \(kernel 3, dilation 1\) does not fit an input of 2 with padding 0\+0/,
  },
  {
    name: 'conv2d with negative padding',
    call: () => conv2d(f([1, 5, 5, 1]), f([3, 3, 1, 1]), { padding: -1 }),
    error: ArgumentError,
    message: /^conv2d: padding must be integers >= 0, got -1/,
  },
  {
    name: 'conv2d with an unknown data format',
    call: () => conv2d(f([1, 5, 5, 1]), f([3, 3, 1, 1]), { dataFormat: asAny('NWHC') }),
    error: ArgumentError,
    message: /^conv2d: dataFormat must be 'NHWC' or 'NCHW', got "NWHC"/,
  },
  {
    name: 'maxPool2d window larger than a valid input',
    call: () => maxPool2d(f([1, 3, 3, 1]), { kernelSize: 5 }),
    error: ShapeError,
    message: /^maxPool2d: a window of 5 \(kernel 5, dilation 1\) does not fit an input of 3 with padding 0\+0/,
  },
  {
    name: 'maxPool2d of a 2-D input',
    call: () => maxPool2d(f([3, 3]), { kernelSize: 2 }),
    error: ShapeError,
    message: /^maxPool2d: input must be 4-D, got shape \[3,3\]/,
  },
  {
    name: "conv2d NCHW channel mismatch names the caller's shapes",
    call: () => conv2d(f([1, 3, 5, 5]), f([4, 2, 3, 3]), { dataFormat: 'NCHW' }),
    error: ShapeError,
    message: /^conv2d: NCHW input \[1,3,5,5\] has 3 channels but OIHW filter \[4,2,3,3\] expects 2/,
  },
  {
    name: 'avgPool2d padding as large as the window',
    call: () =>
      avgPool2d(f([1, 3, 3, 1]), {
        kernelSize: 2,
        strides: 1,
        padding: [
          [2, 0],
          [0, 0],
        ],
      }),
    error: ArgumentError,
    message: /^avgPool2d: padding 2\+0 must be smaller than the window 2 on axis H/,
  },
  {
    name: 'avgPool2d with kernel size 0',
    call: () => avgPool2d(f([1, 3, 3, 1]), { kernelSize: 0 }),
    error: ArgumentError,
    message: /^avgPool2d: kernelSize must be positive integers, got 0/,
  },
  {
    name: 'dropout with a rate above 1',
    call: () => dropout(f([2]), 1.5),
    error: ArgumentError,
    message: /^dropout: rate must be in \[0, 1\], got 1.5/,
  },

  // ---- dtypes
  {
    name: 'tensor() with an unknown dtype',
    call: () => tensor([1], undefined, asAny<DType>('float64')),
    error: DTypeError,
    message: /^tensor: unknown dtype "float64"; expected one of float32, int32, bool/,
  },
  {
    name: 'zeros with an unknown dtype',
    call: () => zeros([2], asAny<DType>('float16')),
    error: DTypeError,
    message: /^zeros: unknown dtype "float16"; expected one of float32, int32, bool/,
  },
  {
    name: 'full with an unknown dtype',
    call: () => full([2], 1, asAny<DType>('int64')),
    error: DTypeError,
    message: /^full: unknown dtype "int64"/,
  },
  {
    name: 'eye with an unknown dtype',
    call: () => eye(2, 2, asAny<DType>('uint8')),
    error: DTypeError,
    message: /^eye: unknown dtype "uint8"/,
  },
  {
    name: 'arange with an unknown dtype',
    call: () => arange(0, 3, 1, asAny<DType>('int8')),
    error: DTypeError,
    message: /^arange: unknown dtype "int8"/,
  },
  {
    name: 'cast to an unknown dtype',
    call: () => cast(f([2]), asAny<DType>('int64')),
    error: DTypeError,
    message: /^cast: unknown dtype "int64"; expected one of float32, int32, bool/,
  },
  {
    name: 'requiresGrad on an int32 tensor',
    call: () => {
      zeros([2], 'int32').requiresGrad = true;
    },
    error: DTypeError,
    message: /^requiresGrad: only float32 tensors can require gradients, this one is int32/,
  },

  // ---- creation
  {
    name: 'tensor() from ragged nested arrays',
    call: () => tensor([[1, 2], [3]]),
    error: ShapeError,
    message: /^tensor: nested arrays are ragged \(expected length 2 at depth 1, got 1\)/,
  },
  {
    name: 'tensor() with a shape that does not match the data',
    call: () => tensor([1, 2, 3], [2, 2]),
    error: ShapeError,
    message: /^tensor: 3 values cannot fill shape \[2,2\] \(4 elements\)/,
  },
  {
    name: 'tensor() with a negative dimension',
    call: () => tensor([1, 2], [-2]),
    error: ShapeError,
    message: /^tensor: shape \[-2\] has an invalid dimension -2/,
  },
  {
    name: 'zeros with a fractional dimension',
    call: () => zeros([2.5]),
    error: ShapeError,
    message: /^zeros: shape \[2.5\] has an invalid dimension 2.5/,
  },
  {
    name: 'zeros with a NaN dimension',
    call: () => zeros([2, NaN]),
    error: ShapeError,
    message: /^zeros: shape \[2,NaN\] has an invalid dimension NaN/,
  },
  {
    name: 'rand with an infinite dimension',
    call: () => rand([Infinity]),
    error: ShapeError,
    message: /^rand: shape \[Infinity\] has an invalid dimension Infinity/,
  },
  {
    name: 'tensor() of a value beyond int32',
    call: () => tensor([3e9], [1], 'int32'),
    error: ArgumentError,
    message: /^tensor: value 3000000000 at index 0 cannot be stored as int32 without overflow/,
  },
  {
    name: 'tensor() of a Uint32Array above 2^31 - 1',
    call: () => tensor(new Uint32Array([1, 4294967295])),
    error: ArgumentError,
    message: /^tensor: value 4294967295 at index 1 cannot be stored as int32 without overflow/,
  },
  {
    name: 'tensor() of NaN as int32',
    call: () =>
      tensor(
        [
          [1, 2],
          [NaN, 4],
        ],
        undefined,
        'int32',
      ),
    error: ArgumentError,
    message: /^tensor: value NaN at index 2 \[1,0\] cannot be stored as int32/,
  },
  {
    name: 'scalar beyond int32',
    call: () => scalar(-3e9, 'int32'),
    error: ArgumentError,
    message: /^scalar: value -3000000000 at index 0 cannot be stored as int32/,
  },
  {
    name: 'full with a value beyond int32',
    call: () => full([2], 3e9, 'int32'),
    error: ArgumentError,
    message: /^full: value 3000000000 cannot be stored as int32 without overflow/,
  },
  {
    name: 'arange past int32',
    call: () => arange(2 ** 31 - 1, 2 ** 31 + 1),
    error: ArgumentError,
    message: /^arange: value 2147483648 at index 1 cannot be stored as int32/,
  },
  {
    name: 'tensor() with a string among its values',
    call: () => tensor([1, asAny('a')]),
    error: ArgumentError,
    message: /^tensor: values must be numbers or booleans, got string "a"/,
  },
  {
    name: 'full with a string value',
    call: () => full([2], asAny('1')),
    error: ArgumentError,
    message: /^full: value must be a number or a boolean, got string "1"/,
  },

  // ---- tensors too large for the backend: refused before anything is allocated (no RangeError, no minutes of filling)
  {
    name: 'zeros of 10^12 elements',
    call: () => zeros([1e6, 1e6]),
    error: ShapeError,
    message:
      /^zeros: shape \[1000000,1000000\] has 1000000000000 elements \(4000\.0 GB of float32\), more than backend '.+' can hold in one tensor \(at most \d+ float32 elements\)/,
  },
  {
    name: 'arange of 10^10 values',
    call: () => arange(0, 1e10),
    error: ShapeError,
    message: /^arange: shape \[10000000000\] has 10000000000 elements \(40\.0 GB of int32\)/,
  },
  {
    name: 'rand of 10^10 values',
    call: () => rand([1e5, 1e5]),
    error: ShapeError,
    message: /^rand: shape \[100000,100000\] has 10000000000 elements/,
  },
  {
    name: 'add broadcasting to 10^10 elements',
    call: () => add(f([1e5, 1]), f([1, 1e5])),
    error: ShapeError,
    message: /^add: shape \[100000,100000\] has 10000000000 elements/,
  },
  {
    name: 'matmul with a 10^10-element product',
    call: () => matmul(f([1e5, 1]), f([1, 1e5])),
    error: ShapeError,
    message: /^matmul: shape \[100000,100000\] has 10000000000 elements/,
  },
  {
    name: 'randint with low >= high',
    call: () => randint(5, 5, [2]),
    error: ArgumentError,
    message: /^randint: need integers low < high, got low=5, high=5/,
  },
  {
    name: 'randint with low > high',
    call: () => randint(3, 1, [2]),
    error: ArgumentError,
    message: /^randint: need integers low < high, got low=3, high=1/,
  },
  {
    name: 'linspace with a negative count',
    call: () => linspace(0, 1, -1),
    error: ArgumentError,
    message: /^linspace: num must be an integer >= 0, got -1/,
  },
  {
    name: 'arange with step 0',
    call: () => arange(0, 5, 0),
    error: ArgumentError,
    message: /^arange: step must be a finite non-zero number, got 0/,
  },
  {
    name: 'arange to infinity',
    call: () => arange(0, Infinity),
    error: ArgumentError,
    message: /^arange: start and stop must be finite numbers, got start=0, stop=Infinity/,
  },
  {
    name: 'item() of a tensor with many elements',
    call: () => f([2, 2]).item(),
    error: ShapeError,
    message: /^item: tensor has 4 elements, expected exactly 1/,
  },

  // ---- disposed tensors
  {
    name: 'op on a disposed tensor',
    call: () => add(disposed([2, 3]), 1),
    error: DisposedError,
    message: /^add: tensor #\d+ \(shape \[2,3\], float32\) was disposed and cannot be used/,
  },
  {
    name: 'matmul with a disposed operand',
    call: () => matmul(f([2, 2]), disposed([2, 2])),
    error: DisposedError,
    message: /^matmul: tensor #\d+ \(shape \[2,2\], float32\) was disposed/,
  },
  {
    name: 'reshape of a disposed tensor',
    call: () => reshape(disposed([4]), [2, 2]),
    error: DisposedError,
    message: /^reshape: tensor #\d+ \(shape \[4\], float32\) was disposed/,
  },
  {
    name: 'sum of a disposed tensor',
    call: () => sum(disposed([3])),
    error: DisposedError,
    message: /^sum: tensor #\d+ \(shape \[3\], float32\) was disposed/,
  },
  {
    name: 'data() of a disposed tensor',
    call: () => disposed([3]).data(),
    error: DisposedError,
    message: /^data: tensor #\d+ \(shape \[3\], float32\) was disposed/,
  },
  {
    name: 'array() of a disposed tensor',
    call: () => disposed([3]).array(),
    error: DisposedError,
    message: /^data: tensor #\d+ \(shape \[3\], float32\) was disposed/,
  },
  {
    name: 'assign into a disposed tensor',
    call: () => disposed([2]).assign(f([2])),
    error: DisposedError,
    message: /^assign: tensor #\d+ \(shape \[2\], float32\) was disposed/,
  },
  {
    name: 'to() of a disposed tensor',
    call: (env) => disposed([2]).to(env.other),
    error: DisposedError,
    message: /^to: tensor #\d+ \(shape \[2\], float32\) was disposed/,
  },

  // ---- backends
  {
    name: 'add of tensors on two backends',
    call: (env) => add(on(env.main, [2]), on(env.other, [2])),
    error: BackendError,
    message: (env) =>
      new RegExp(
        `^add: inputs are on different backends \\('${escapeRe(env.main.name)}' and '${escapeRe(env.other.name)}'\\); move one with t\\.to\\(backend\\) first`,
      ),
  },
  {
    name: 'matmul of tensors on two backends',
    call: (env) => matmul(on(env.other, [2, 2]), on(env.main, [2, 2])),
    error: BackendError,
    message: (env) =>
      new RegExp(
        `^matmul: inputs are on different backends \\('${escapeRe(env.other.name)}' and '${escapeRe(env.main.name)}'\\)`,
      ),
  },
  {
    name: 'concat of tensors on two backends',
    call: (env) => concat([on(env.main, [2]), on(env.other, [2])]),
    error: BackendError,
    message: /^concat: inputs are on different backends/,
  },
  {
    name: 'assign across backends',
    call: (env) => on(env.main, [2]).assign(on(env.other, [2])),
    error: BackendError,
    message: (env) =>
      new RegExp(
        `^assign: value is on backend '${escapeRe(env.other.name)}' but the target is on '${escapeRe(env.main.name)}'`,
      ),
  },
  {
    name: 'assign of another shape',
    call: () => f([2, 2]).assign(f([4])),
    error: ShapeError,
    message: /^assign: value of shape \[4\] cannot replace a tensor of shape \[2,2\]/,
  },
  {
    name: 'setBackend of an unknown name',
    call: () => setBackend('no-such-backend'),
    error: BackendError,
    message:
      /^setBackend: no backend named 'no-such-backend' is registered \(registered: .+\); pass a backend instance/,
  },

  // ---- gradients
  {
    name: 'backward of a non-scalar without a seed',
    call: () => {
      const x = f([2, 3]);
      x.requiresGrad = true;
      mul(x, 2).backward();
    },
    error: GradientError,
    message: /^backward: the tensor has shape \[2,3\]; a gradient seed of that shape is needed for a non-scalar/,
  },
  {
    name: 'backward of a tensor that does not require grad',
    call: () => sum(f([2])).backward(),
    error: GradientError,
    message: /^backward: the tensor \(shape \[\]\) does not require grad/,
  },
  {
    name: 'backward with a seed of the wrong shape',
    call: () => {
      const x = f([2, 3]);
      x.requiresGrad = true;
      mul(x, 2).backward(f([3, 2]));
    },
    error: ShapeError,
    message: /^backward: seed shape \[3,2\] does not match the tensor's shape \[2,3\]/,
  },
  {
    name: 'backward twice through a freed graph',
    call: () => {
      const x = f([2]);
      x.requiresGrad = true;
      const y = sum(mul(x, x));
      y.backward();
      // tidy keeps .grad tensors: dispose the first backward's, or it leaks (and the GC
      // safety net reclaims it in some later test, changing that test's memory() counts).
      try {
        y.backward();
      } finally {
        x.zeroGrad();
      }
    },
    error: GradientError,
    message:
      /^backward: the graph through '\w+' was already freed by an earlier backward\(\); pass \{ retainGraph: true \}/,
  },
  // Index ranges are known from the host values the index tensors were written from, so
  // these hold on backends without readSync too.
  {
    name: 'gather index out of range',
    call: () => gather(f([3, 2]), tensor([0, 3], undefined, 'int32')),
    error: ArgumentError,
    message: /^gather: index 3 is out of range for an axis of size 3 \(expected 0 to 2\)/,
  },
  {
    name: 'gather negative index',
    call: () => gather(f([3, 2]), tensor([-1], undefined, 'int32'), 0),
    error: ArgumentError,
    message: /^gather: index -1 is out of range for an axis of size 3/,
  },
  {
    name: 'gather index out of range in a slice of a larger index tensor',
    call: () => gather(f([3, 2]), slice(tensor([0, 1, 2, 4, 9], undefined, 'int32'), [2], [4])),
    error: ArgumentError,
    message: /^gather: index 4 is out of range for an axis of size 3/,
  },
];

/** The bad-call table: every row must throw its error class with a message naming the op and what it got. */
export function registerErrorTable(ctx: ConformanceContext): void {
  describe('errors: bad calls name the op and what they got', () => {
    let env: Env;
    beforeAll(() => {
      env = { main: getBackend(), other: ctx.second() };
    });
    it('the table covers at least 30 bad calls', () => {
      expect(TABLE.length).toBeGreaterThanOrEqual(30);
    });
    for (const row of TABLE) {
      it(row.name, async () => {
        const before = getBackend();
        // Sync calls run under tidy so the tensors a row makes before throwing are freed;
        // an async call's promise is awaited outside it.
        const err = await capture(async () => {
          let pending: unknown;
          tidy(() => {
            pending = row.call(env);
          });
          await pending;
        });
        expect(getBackend(), 'a failed call must not change the active backend').toBe(before);
        expect(err, 'the call did not throw').toBeInstanceOf(TsdlError);
        expect(err).toBeInstanceOf(row.error);
        const e = err as TsdlError;
        expect(e.name).toBe(row.error.name);
        expect(e.message).toMatch(typeof row.message === 'function' ? row.message(env) : row.message);
      });
    }
  });
}
