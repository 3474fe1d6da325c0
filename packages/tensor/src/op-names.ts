import type { Backend, Conv2dParams, Pool2dParams } from './backend';
import type { DType } from './dtype';

/**
 * Every op that runs through the dispatch point (engine.ts), with the attributes it
 * records for autograd. One entry per op name: `dispatch` takes only these names (or a
 * namespaced extension, `'pkg:op'`), autograd's rule table is keyed by them, and a name
 * here without a gradient rule or a place in NON_DIFFERENTIABLE fails tsc
 * (packages/autograd/src/rules/index.ts). Composed ops (mean, stack, dropout …) dispatch
 * nothing of their own and are not here.
 */
export interface OpAttrs {
  // ---- elementwise, one expression each (ops/elementwise.ts, ops/nn.ts) ----
  add: undefined;
  sub: undefined;
  mul: undefined;
  div: undefined;
  pow: undefined;
  maximum: undefined;
  minimum: undefined;
  eq: undefined;
  ne: undefined;
  lt: undefined;
  le: undefined;
  gt: undefined;
  ge: undefined;
  logicalAnd: undefined;
  logicalOr: undefined;
  logicalNot: undefined;
  neg: undefined;
  abs: undefined;
  exp: undefined;
  expm1: undefined;
  log: undefined;
  log1p: undefined;
  sqrt: undefined;
  rsqrt: undefined;
  square: undefined;
  reciprocal: undefined;
  sin: undefined;
  cos: undefined;
  tanh: undefined;
  sigmoid: undefined;
  erf: undefined;
  relu: undefined;
  sign: undefined;
  floor: undefined;
  ceil: undefined;
  round: undefined;
  leakyRelu: { readonly alpha: number };
  elu: { readonly alpha: number };
  softplus: undefined;
  gelu: undefined;
  geluTanh: undefined;
  clip: { readonly min: number; readonly max: number };
  where: undefined;
  cast: { readonly dtype: DType };
  contiguous: undefined;
  clone: undefined;
  applyDropout: { readonly rate: number };
  /** A copy to another backend (t.to()). */
  to: { readonly backend: Backend };

  // ---- reductions (ops/reduce.ts): `axes` sorted, distinct, non-negative ----
  sum: ReduceAttrs;
  prod: ReduceAttrs;
  max: ReduceAttrs;
  min: ReduceAttrs;
  all: ReduceAttrs;
  any: ReduceAttrs;
  argmax: ReduceAttrs;
  argmin: ReduceAttrs;

  matmul: undefined;

  // ---- views and movement (ops/shape.ts): `from` is the input's shape ----
  reshape: { readonly from: readonly number[] };
  transpose: { readonly perm: readonly number[] };
  broadcastTo: { readonly from: readonly number[] };
  slice: { readonly begin: readonly number[]; readonly step: readonly number[]; readonly from: readonly number[] };
  concat: { readonly axis: number; readonly sizes: readonly number[] };
  pad: { readonly pads: readonly (readonly [number, number])[] };
  gather: { readonly axis: number; readonly from: readonly number[] };
  scatterAdd: { readonly axis: number };
  flip: { readonly axes: readonly number[] };
  cumsum: { readonly axis: number; readonly exclusive: boolean; readonly reverse: boolean };

  // ---- network (ops/nn.ts, conv-kernel.ts, conv-transpose.ts, softmax-ce.ts) ----
  softmax: undefined;
  logSoftmax: undefined;
  conv2d: { readonly params: Conv2dParams };
  /** `convOptions`: the conv2d (explicit padding) that maps the output's shape back to x's. */
  conv2dTranspose: { readonly params: Conv2dParams; readonly convOptions: ConvGradOptions };
  conv2dGradInput: { readonly params: Conv2dParams };
  conv2dGradFilter: { readonly params: Conv2dParams };
  maxPool2d: { readonly params: Pool2dParams };
  avgPool2d: { readonly params: Pool2dParams };
  pool2dGrad: { readonly params: Pool2dParams };
  softmaxCrossEntropy: { readonly sparse: boolean };
  softmaxCrossEntropyGrad: { readonly sparse: boolean };
  // ---- layer normalization (ops/layer-norm.ts): inputs [x, gamma?, beta?] ----
  layerNorm: LayerNormAttrs;
  layerNormGrad: { readonly epsilon: number };
}

/** What layerNorm records: the normalized block's size and which of gamma and beta follow x in its inputs. */
export interface LayerNormAttrs {
  /** The product of the normalized trailing axes (the rows' length). */
  readonly size: number;
  readonly epsilon: number;
  readonly gamma: boolean;
  readonly beta: boolean;
}

export interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}

/** conv2d options with explicit padding, as conv2dTranspose records them for its gradient. */
export interface ConvGradOptions {
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  readonly padding: readonly [readonly [number, number], readonly [number, number]];
}

/** The name of an op that runs through the dispatch point. */
export type OpName = keyof OpAttrs;

/** The ops that record no attributes. */
export type PlainOpName = { [K in OpName]: OpAttrs[K] extends undefined ? K : never }[OpName];

/**
 * An op defined outside @tsdl/tensor (nn's binaryCrossEntropy, keras' biasRelu, a user's
 * own): namespaced 'package:op', so it can never collide with a built-in name. Its
 * attributes are its own business; register its gradient with autograd's registerGradient.
 */
export type ExtensionOpName = `${string}:${string}`;
