import { ArgumentError } from '@tsdl/tensor';
import type { GraphBuilder } from './graph-builder';

/**
 * ONNX nodes for Keras layers. Keras tensors are channels-last (NHWC, [batch,
 * steps, features]); the exported graph keeps the Keras layout at its edges
 * and wraps each convolution, pooling and batch normalization in Transposes to
 * ONNX's channels-first operators (the builder folds the pairs that cancel
 * between consecutive layers).
 */

/** A value in the graph being built: its ONNX name and its Keras shape (batch null). */
export interface Sym {
  name: string;
  shape: (number | null)[];
}

/** A weight read from the layer, by its Keras name ('kernel', 'bias', 'moving_mean' …). */
export interface HostWeight {
  data: Float32Array;
  shape: number[];
}

export interface LayerExport {
  className: string;
  name: string;
  config: Record<string, unknown>;
  weights: Map<string, HostWeight>;
  /** The output shape Keras computes for the inputs. */
  outShape: (number | null)[];
}

export interface ExportContext {
  b: GraphBuilder;
  opset: number;
}

type Converter = (layer: LayerExport, inputs: Sym[], ctx: ExportContext) => string;

const unsupported = (layer: LayerExport, what: string): never => {
  throw new ArgumentError(`exportOnnx: layer '${layer.name}' (${layer.className}) ${what}`);
};

function weight(layer: LayerExport, name: string): HostWeight {
  const w = layer.weights.get(name);
  if (!w) return unsupported(layer, `has no weight '${name}'`);
  return w;
}

/** A weight as an initializer named after the layer. */
function init(
  ctx: ExportContext,
  layer: LayerExport,
  w: HostWeight,
  what: string,
  data = w.data,
  shape = w.shape,
): string {
  return ctx.b.constant(`${layer.name}.${what}`, data, shape);
}

/** Reorders a [rows, cols] row-major matrix to [cols, rows]. */
function transposed(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

const one = (layer: LayerExport, inputs: Sym[]): Sym => {
  if (inputs.length !== 1) unsupported(layer, `has ${inputs.length} inputs; it takes one`);
  return inputs[0];
};

/** A Keras activation as ONNX nodes (the ones ONNX has, or their definitions). */
export function activation(ctx: ExportContext, x: string, name: string, base: string): string {
  const b = ctx.b;
  const n = (op: string, ins: string[], attrs = {}) => b.node(op, ins, `${base}/${op}`, attrs);
  const hardSigmoid = (alpha: number) => n('HardSigmoid', [x], { alpha: { f: alpha }, beta: { f: 0.5 } });
  const gelu = (): string => {
    const half = b.constant(`${base}/half`, [0.5], []);
    const oneC = b.constant(`${base}/one`, [1], []);
    const r2 = b.constant(`${base}/sqrt2`, [Math.SQRT2], []);
    return n('Mul', [n('Mul', [x, half]), n('Add', [n('Erf', [n('Div', [x, r2])]), oneC])]);
  };
  const geluTanh = (): string => {
    const c = (v: number, what: string) => b.constant(`${base}/${what}`, [v], []);
    const inner = n('Mul', [
      c(Math.sqrt(2 / Math.PI), 'k'),
      n('Add', [x, n('Mul', [c(0.044715, 'a'), n('Mul', [x, n('Mul', [x, x])])])]),
    ]);
    return n('Mul', [n('Mul', [c(0.5, 'half'), x]), n('Add', [c(1, 'one'), n('Tanh', [inner])])]);
  };
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return n('Relu', [x]);
    case 'sigmoid':
      return n('Sigmoid', [x]);
    case 'tanh':
      return n('Tanh', [x]);
    case 'softmax':
      return n('Softmax', [x], { axis: { i: -1 } });
    case 'log_softmax':
      return n('LogSoftmax', [x], { axis: { i: -1 } });
    case 'elu':
      return n('Elu', [x], { alpha: { f: 1 } });
    case 'selu':
      return n('Selu', [x], { alpha: { f: 1.6732632423543772 }, gamma: { f: 1.0507009873554805 } });
    case 'softplus':
      return n('Softplus', [x]);
    case 'softsign':
      return n('Softsign', [x]);
    case 'leaky_relu':
      return n('LeakyRelu', [x], { alpha: { f: 0.2 } });
    case 'swish':
    case 'silu':
      return n('Mul', [x, n('Sigmoid', [x])]);
    case 'relu6':
      return n('Clip', [x, b.constant(`${base}/zero`, [0], []), b.constant(`${base}/six`, [6], [])]);
    case 'mish':
      return n('Mul', [x, n('Tanh', [n('Softplus', [x])])]);
    case 'exponential':
      return n('Exp', [x]);
    case 'hard_sigmoid':
      return hardSigmoid(1 / 6);
    case 'hard_sigmoid_legacy':
      return hardSigmoid(0.2);
    case 'hard_silu':
    case 'hard_swish':
      return n('Mul', [x, hardSigmoid(1 / 6)]);
    case 'gelu':
      return gelu();
    case 'gelu_new':
      return geluTanh();
    default:
      throw new ArgumentError(`exportOnnx: activation '${name}' has no ONNX form here`);
  }
}

const pairOf = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v as number, v as number]);

/** ONNX's pads or auto_pad for a Keras padding over `spatial` axes. */
function padAttrs(
  layer: LayerExport,
  padding: unknown,
  kernel: number[],
  dilations: number[],
): Record<string, { s: string } | { ints: number[] }> {
  if (padding === 'valid') return { pads: { ints: kernel.flatMap(() => [0, 0]) } };
  if (padding === 'same') return { auto_pad: { s: 'SAME_UPPER' } };
  if (padding === 'causal' && kernel.length === 1) return { pads: { ints: [(kernel[0] - 1) * dilations[0], 0] } };
  return unsupported(layer, `has padding '${String(padding)}'`);
}

/** Channels-last to channels-first and back for a rank-r value. */
const toFirst = (r: number) => [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
const toLast = (r: number) => [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];

function channelsFirst(ctx: ExportContext, x: Sym, base: string, body: (nchw: string) => string): string {
  const r = x.shape.length;
  const first = ctx.b.node('Transpose', [x.name], `${base}/to_channels_first`, { perm: { ints: toFirst(r) } });
  return ctx.b.node('Transpose', [body(first)], `${base}/to_channels_last`, { perm: { ints: toLast(r) } });
}

const dense: Converter = (layer, inputs, ctx) => {
  const x = one(layer, inputs);
  const k = weight(layer, 'kernel');
  let y = ctx.b.node('MatMul', [x.name, init(ctx, layer, k, 'kernel')], `${layer.name}/MatMul`);
  if (layer.config.useBias !== false)
    y = ctx.b.node('Add', [y, init(ctx, layer, weight(layer, 'bias'), 'bias')], `${layer.name}/BiasAdd`);
  return activation(ctx, y, String(layer.config.activation ?? 'linear'), layer.name);
};

/** Conv2D and Conv1D: the HWIO (or WIO) kernel becomes OIHW (OIW). */
function conv(spatial: 1 | 2): Converter {
  return (layer, inputs, ctx) => {
    const x = one(layer, inputs);
    const c = layer.config;
    const k = weight(layer, 'kernel');
    const [outC] = k.shape.slice(-1);
    const inPerGroup = k.shape[spatial];
    const window = k.shape.slice(0, spatial);
    const taps = window.reduce((p, d) => p * d, 1);
    // [taps, in, out] → [out, in, taps].
    const oihw = new Float32Array(k.data.length);
    for (let t = 0; t < taps; t++)
      for (let i = 0; i < inPerGroup; i++)
        for (let o = 0; o < outC; o++) oihw[(o * inPerGroup + i) * taps + t] = k.data[(t * inPerGroup + i) * outC + o];
    const strides = (Array.isArray(c.strides) ? c.strides : [c.strides]).slice(0, spatial) as number[];
    const dilations = (Array.isArray(c.dilationRate) ? c.dilationRate : [c.dilationRate ?? 1]).slice(
      0,
      spatial,
    ) as number[];
    const groups = (c.groups as number | undefined) ?? 1;
    const ins = [init(ctx, layer, k, 'kernel', oihw, [outC, inPerGroup, ...window])];
    if (c.useBias !== false) ins.push(init(ctx, layer, weight(layer, 'bias'), 'bias'));
    return channelsFirst(ctx, x, layer.name, (nchw) => {
      const y = ctx.b.node('Conv', [nchw, ...ins], `${layer.name}/Conv`, {
        kernel_shape: { ints: window },
        strides: { ints: spatial === 2 ? pairOf(strides.length === 1 ? strides[0] : strides) : strides },
        dilations: { ints: spatial === 2 ? pairOf(dilations.length === 1 ? dilations[0] : dilations) : dilations },
        group: { i: groups },
        ...padAttrs(layer, c.padding, window, dilations),
      });
      return activation(ctx, y, String(c.activation ?? 'linear'), layer.name);
    });
  };
}

function pool(op: 'MaxPool' | 'AveragePool', spatial: 1 | 2): Converter {
  return (layer, inputs, ctx) => {
    const x = one(layer, inputs);
    const c = layer.config;
    const size = (Array.isArray(c.poolSize) ? c.poolSize : [c.poolSize]) as number[];
    const kernel = spatial === 2 ? pairOf(size.length === 1 ? size[0] : size) : [size[0]];
    const st = (Array.isArray(c.strides) ? c.strides : [c.strides ?? size[0]]) as number[];
    const strides = spatial === 2 ? pairOf(st.length === 1 ? st[0] : st) : [st[0]];
    return channelsFirst(ctx, x, layer.name, (nchw) =>
      ctx.b.node(op, [nchw], `${layer.name}/${op}`, {
        kernel_shape: { ints: kernel },
        strides: { ints: strides },
        ...padAttrs(
          layer,
          c.padding ?? 'valid',
          kernel,
          kernel.map(() => 1),
        ),
      }),
    );
  };
}

/** GlobalAveragePooling / GlobalMaxPooling over the steps or pixels (channels last), keepdims as configured. */
function globalPool(op: 'ReduceMean' | 'ReduceMax'): Converter {
  return (layer, inputs, ctx) => {
    const x = one(layer, inputs);
    if (layer.config.dataFormat === 'channels_first') unsupported(layer, 'is channels_first');
    const axes = Array.from({ length: x.shape.length - 2 }, (_, i) => i + 1);
    return ctx.b.node(op, [x.name], `${layer.name}/${op}`, {
      axes: { ints: axes },
      keepdims: { i: layer.config.keepdims === true ? 1 : 0 },
    });
  };
}

const flatten: Converter = (layer, inputs, ctx) =>
  ctx.b.node('Flatten', [one(layer, inputs).name], `${layer.name}/Flatten`, { axis: { i: 1 } });

const identity: Converter = (layer, inputs) => one(layer, inputs).name;

const activationLayer: Converter = (layer, inputs, ctx) =>
  activation(ctx, one(layer, inputs).name, String(layer.config.activation), layer.name);

const reshape: Converter = (layer, inputs, ctx) => {
  const x = one(layer, inputs);
  const target = layer.config.targetShape as number[];
  if (!target.includes(-1))
    return ctx.b.node(
      'Reshape',
      [x.name, ctx.b.int64s(`${layer.name}/shape`, [-1, ...target])],
      `${layer.name}/Reshape`,
    );
  // -1 in the target: the batch size comes from the input's shape.
  const shape = ctx.b.node('Shape', [x.name], `${layer.name}/Shape`);
  const batch = ctx.b.node(
    'Slice',
    [shape, ctx.b.int64s(`${layer.name}/zero`, [0]), ctx.b.int64s(`${layer.name}/one`, [1])],
    `${layer.name}/batch`,
  );
  const full = ctx.b.node(
    'Concat',
    [batch, ctx.b.int64s(`${layer.name}/target`, target)],
    `${layer.name}/target_shape`,
    { axis: { i: 0 } },
  );
  return ctx.b.node('Reshape', [x.name, full], `${layer.name}/Reshape`);
};

/** BatchNormalization over the last axis: ONNX's node normalizes axis 1, so rank > 2 goes through channels-first. */
const batchNorm: Converter = (layer, inputs, ctx) => {
  const x = one(layer, inputs);
  const r = x.shape.length;
  const axis = layer.config.axis as number;
  if (axis !== -1 && axis !== r - 1)
    unsupported(layer, `normalizes axis ${axis}; the exporter handles the last axis (channels last)`);
  const mean = weight(layer, 'moving_mean');
  const n = mean.data.length;
  const gamma = layer.weights.get('gamma') ?? { data: new Float32Array(n).fill(1), shape: [n] };
  const beta = layer.weights.get('beta') ?? { data: new Float32Array(n), shape: [n] };
  const params = [
    init(ctx, layer, gamma, 'gamma'),
    init(ctx, layer, beta, 'beta'),
    init(ctx, layer, mean, 'moving_mean'),
    init(ctx, layer, weight(layer, 'moving_variance'), 'moving_variance'),
  ];
  const bn = (v: string) =>
    ctx.b.node('BatchNormalization', [v, ...params], `${layer.name}/BatchNormalization`, {
      epsilon: { f: layer.config.epsilon as number },
    });
  return r === 2 ? bn(x.name) : channelsFirst(ctx, x, layer.name, bn);
};

/** LayerNormalization over the last axis: ONNX's node from opset 17, its definition before. */
const layerNorm: Converter = (layer, inputs, ctx) => {
  const x = one(layer, inputs);
  const r = x.shape.length;
  const axes = (Array.isArray(layer.config.axis) ? layer.config.axis : [layer.config.axis]) as number[];
  if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== r - 1))
    unsupported(layer, `normalizes axes [${axes.join(', ')}]; the exporter handles the last axis`);
  const n = x.shape[r - 1] as number;
  const gamma = init(
    ctx,
    layer,
    layer.weights.get('gamma') ?? { data: new Float32Array(n).fill(1), shape: [n] },
    'gamma',
  );
  const beta = init(ctx, layer, layer.weights.get('beta') ?? { data: new Float32Array(n), shape: [n] }, 'beta');
  const eps = layer.config.epsilon as number;
  const b = ctx.b;
  const base = layer.name;
  if (ctx.opset >= 17)
    return b.node('LayerNormalization', [x.name, gamma, beta], `${base}/LayerNormalization`, {
      axis: { i: -1 },
      epsilon: { f: eps },
    });
  const mean = b.node('ReduceMean', [x.name], `${base}/mean`, { axes: { ints: [-1] }, keepdims: { i: 1 } });
  const d = b.node('Sub', [x.name, mean], `${base}/centered`);
  const v = b.node('ReduceMean', [b.node('Mul', [d, d], `${base}/squared`)], `${base}/variance`, {
    axes: { ints: [-1] },
    keepdims: { i: 1 },
  });
  const s = b.node(
    'Sqrt',
    [b.node('Add', [v, b.constant(`${base}/epsilon`, [eps], [])], `${base}/variance_eps`)],
    `${base}/std`,
  );
  return b.node(
    'Add',
    [b.node('Mul', [b.node('Div', [d, s], `${base}/normalized`), gamma], `${base}/scaled`), beta],
    `${base}/LayerNorm`,
  );
};

const embedding: Converter = (layer, inputs, ctx) => {
  const x = one(layer, inputs);
  if (layer.config.maskZero) unsupported(layer, 'has maskZero (masks have no ONNX form here)');
  return ctx.b.node(
    'Gather',
    [init(ctx, layer, weight(layer, 'embeddings'), 'embeddings'), x.name],
    `${layer.name}/Gather`,
    { axis: { i: 0 } },
  );
};

const ONNX_ACT: Record<string, string> = { sigmoid: 'Sigmoid', tanh: 'Tanh', relu: 'Relu' };

/**
 * LSTM and GRU as ONNX's nodes: Keras' kernels [in, gates·units] become W
 * [1, gates·units, in] with the gates reordered (Keras LSTM i, f, c, o → ONNX
 * i, o, f, c; GRU z, r, h is the same order), GRU's reset_after is
 * linear_before_reset, and the batch-major input is transposed to ONNX's
 * time-major layout.
 */
function recurrent(kind: 'LSTM' | 'GRU'): Converter {
  return (layer, inputs, ctx) => {
    const x = one(layer, inputs);
    const c = layer.config;
    for (const flag of ['returnState', 'stateful']) if (c[flag]) unsupported(layer, `has ${flag}`);
    if (c.goBackwards && c.returnSequences)
      unsupported(layer, 'has goBackwards with returnSequences (Keras returns that sequence reversed)');
    const units = c.units as number;
    const acts = [c.recurrentActivation ?? 'sigmoid', c.activation ?? 'tanh'].map(
      (a) =>
        ONNX_ACT[String(a)] ??
        unsupported(layer, `has activation '${String(a)}', which ONNX's ${kind} node cannot express here`),
    );
    const gates = kind === 'LSTM' ? 4 : 3;
    // Keras gate blocks in ONNX's order.
    const order = kind === 'LSTM' ? [0, 3, 1, 2] : [0, 1, 2];
    const reorderRows = (m: Float32Array, cols: number): Float32Array => {
      const out = new Float32Array(m.length);
      order.forEach((src, dst) =>
        out.set(m.subarray(src * units * cols, (src + 1) * units * cols), dst * units * cols),
      );
      return out;
    };
    const k = weight(layer, 'kernel');
    const rk = weight(layer, 'recurrent_kernel');
    const inSize = k.shape[0];
    const w = init(ctx, layer, k, 'W', reorderRows(transposed(k.data, inSize, gates * units), inSize), [
      1,
      gates * units,
      inSize,
    ]);
    const r = init(ctx, layer, rk, 'R', reorderRows(transposed(rk.data, units, gates * units), units), [
      1,
      gates * units,
      units,
    ]);
    const ins = [w, r];
    let lbr = 0;
    if (c.useBias !== false) {
      const bias = weight(layer, 'bias');
      const b = new Float32Array(2 * gates * units);
      if (kind === 'GRU' && bias.shape.length === 2) {
        b.set(bias.data);
        lbr = 1;
      } else {
        b.set(reorderRows(bias.data, 1));
      }
      ins.push(init(ctx, layer, bias, 'B', b, [1, 2 * gates * units]));
    } else if (kind === 'GRU' && c.resetAfter !== false) {
      lbr = 1;
    }
    const seqFirst = ctx.b.node('Transpose', [x.name], `${layer.name}/time_major`, { perm: { ints: [1, 0, 2] } });
    const attrs = {
      hidden_size: { i: units },
      direction: { s: c.goBackwards ? 'reverse' : 'forward' },
      activations: { strings: kind === 'LSTM' ? [acts[0], acts[1], acts[1]] : [acts[0], acts[1]] },
      ...(kind === 'GRU' ? { linear_before_reset: { i: lbr } } : {}),
    };
    const [y, yh] = ctx.b.nodeN(kind, [seqFirst, ...ins], [`${layer.name}/Y`, `${layer.name}/Y_h`], attrs);
    if (!c.returnSequences)
      return ctx.b.node('Squeeze', [yh, ctx.b.int64s(`${layer.name}/axis0`, [0])], `${layer.name}/last`);
    const seq = ctx.b.node('Squeeze', [y, ctx.b.int64s(`${layer.name}/axis1`, [1])], `${layer.name}/sequence`);
    return ctx.b.node('Transpose', [seq], `${layer.name}/batch_major`, { perm: { ints: [1, 0, 2] } });
  };
}

function merge(op: string): Converter {
  return (layer, inputs, ctx) => {
    if (inputs.length < 1) unsupported(layer, 'has no inputs');
    if (op === 'Average') {
      const sum = ctx.b.node(
        'Sum',
        inputs.map((i) => i.name),
        `${layer.name}/Sum`,
      );
      return ctx.b.node(
        'Div',
        [sum, ctx.b.constant(`${layer.name}/count`, [inputs.length], [])],
        `${layer.name}/Average`,
      );
    }
    if (op === 'Concat')
      return ctx.b.node(
        'Concat',
        inputs.map((i) => i.name),
        `${layer.name}/Concat`,
        { axis: { i: (layer.config.axis as number | undefined) ?? -1 } },
      );
    if (op === 'Sub') {
      if (inputs.length !== 2) unsupported(layer, `has ${inputs.length} inputs; Subtract takes two`);
      return ctx.b.node('Sub', [inputs[0].name, inputs[1].name], `${layer.name}/Sub`);
    }
    return ctx.b.node(
      op,
      inputs.map((i) => i.name),
      `${layer.name}/${op}`,
    );
  };
}

const rescaling: Converter = (layer, inputs, ctx) => {
  const x = one(layer, inputs);
  const scale = layer.config.scale as number;
  const offset = (layer.config.offset as number | undefined) ?? 0;
  if (typeof scale !== 'number' || typeof offset !== 'number') unsupported(layer, 'has per-channel scale or offset');
  const y = ctx.b.node('Mul', [x.name, ctx.b.constant(`${layer.name}/scale`, [scale], [])], `${layer.name}/scale`);
  return offset === 0
    ? y
    : ctx.b.node('Add', [y, ctx.b.constant(`${layer.name}/offset`, [offset], [])], `${layer.name}/offset`);
};

const CONVERTERS: Record<string, Converter> = {
  Dense: dense,
  Conv2D: conv(2),
  Conv1D: conv(1),
  MaxPooling2D: pool('MaxPool', 2),
  AveragePooling2D: pool('AveragePool', 2),
  MaxPooling1D: pool('MaxPool', 1),
  AveragePooling1D: pool('AveragePool', 1),
  GlobalAveragePooling2D: globalPool('ReduceMean'),
  GlobalMaxPooling2D: globalPool('ReduceMax'),
  GlobalAveragePooling1D: globalPool('ReduceMean'),
  GlobalMaxPooling1D: globalPool('ReduceMax'),
  Flatten: flatten,
  Reshape: reshape,
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  Activation: activationLayer,
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  Embedding: embedding,
  LSTM: recurrent('LSTM'),
  GRU: recurrent('GRU'),
  Add: merge('Sum'),
  Subtract: merge('Sub'),
  Multiply: merge('Mul'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Average: merge('Average'),
  Concatenate: merge('Concat'),
  Rescaling: rescaling,
};

/** The Keras layer classes exportOnnx converts. */
export function exportableLayers(): string[] {
  return Object.keys(CONVERTERS).sort();
}

export function converterFor(className: string): Converter | undefined {
  return CONVERTERS[className];
}
