import {
  ArgumentError,
  DTypeError,
  ShapeError,
  Tensor,
  add,
  dropout as dropoutOp,
  logicalAnd,
  matmul,
  mul,
  ne,
  ones,
  reshape,
  softmax,
  tidy,
  transpose,
  tril,
  where,
} from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { initializerName } from '../initializers';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, SymbolicTensor, fmtKerasShape } from './layer';
import { numberIn, optionalBool, optionalSeed, positiveInt } from './options';

const MHA_OPTIONS = [
  ...LAYER_OPTIONS,
  'numHeads',
  'keyDim',
  'valueDim',
  'dropout',
  'useBias',
  'outputShape',
  'attentionAxes',
  'kernelInitializer',
  'biasInitializer',
  'seed',
];
const CALL_OPTIONS = [
  'attentionMask',
  'useCausalMask',
  'returnAttentionScores',
  'training',
  'queryMask',
  'valueMask',
  'keyMask',
];
/** The call options a functional node can record (JSON, saved with the model). */
const NODE_OPTIONS = ['useCausalMask', 'returnAttentionScores'];

/** Keras' stand-in for −∞ on masked scores: a query with no key to see attends to all of them evenly instead of giving NaN. */
const LARGE_NEGATIVE = -1e9;

export interface MultiHeadAttentionArgs extends LayerArgs {
  numHeads: number;
  /** Size of each head's query and key projection. */
  keyDim: number;
  /** Size of each head's value projection (default keyDim). */
  valueDim?: number;
  /** Dropout probability on the attention probabilities, in training only (default 0). */
  dropout?: number;
  /** Learn biases in the four projections (default true). */
  useBias?: boolean;
  /** Features of the output (default the query's last dimension). */
  outputShape?: number | [number] | null;
  /** Only the default (attention over the time axis of [batch, time, features] inputs) is supported. */
  attentionAxes?: null | number | [number];
  kernelInitializer?: string;
  biasInitializer?: string;
  /** Seed of the initial kernels and of the first dropout mask. */
  seed?: number;
}

export interface MultiHeadAttentionCallOptions {
  /** bool (or int32, non-zero = true) [batch, T, S]: true where a query may attend to a key (Keras' convention; PyTorch's attn_mask is the opposite). */
  attentionMask?: Tensor;
  /** Query i sees keys 0..i only (top-left aligned). */
  useCausalMask?: boolean;
  /** Also return the attention probabilities [batch, numHeads, T, S] (before dropout). */
  returnAttentionScores?: boolean;
  /** Apply dropout (default: the layer's training mode). */
  training?: boolean;
  /** Padding masks [batch, T] / [batch, S], true where a step is real; a functional model passes its inputs' Keras masks here. */
  queryMask?: Tensor;
  valueMask?: Tensor;
  keyMask?: Tensor;
}

interface Projection {
  kernel: Tensor;
  bias: Tensor | null;
}

/**
 * Keras' MultiHeadAttention for [batch, time, features] inputs: the query, key
 * and value are projected per head (EinsumDense kernels [dim, numHeads, keyDim],
 * biases [numHeads, keyDim]), the query scaled by 1/√keyDim, softmax(q·kᵀ) over
 * the keys under the combined mask, dropout, the weighted values joined and
 * projected by `attention_output` (kernel [numHeads, valueDim, outDim]). Weight
 * names and creation order are Keras' (`query/kernel`, `query/bias`, `key/…`,
 * `value/…`, `attention_output/…`).
 *
 * `call(query, value, key = value, options)`; in a functional model
 * `apply(query, value[, key][, { useCausalMask }])`, which reads the inputs'
 * padding masks as Keras does (the output carries the query's mask). It needs
 * two inputs, so, as in Keras, it does not go in a Sequential model.
 */
export class MultiHeadAttention extends Layer {
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  readonly outputDim: number | null;
  private readonly kernelInit: string;
  private readonly biasInit: string;
  private readonly seedArg: number | undefined;
  private nextSeed: number | undefined;
  query: Projection | null = null;
  key: Projection | null = null;
  value: Projection | null = null;
  output: Projection | null = null;
  /** The last dimensions of the query, value and key it was built for. */
  private dims: [number, number, number] = [0, 0, 0];

  constructor(config: MultiHeadAttentionArgs) {
    const args = camelCaseKeys(config, 'MultiHeadAttention');
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      throw new ArgumentError(
        `MultiHeadAttention: expected an options object ({ numHeads, keyDim, ... }), got ${quote(args)}`,
      );
    }
    if (new.target === MultiHeadAttention) rejectUnknownOptions('MultiHeadAttention', args, MHA_OPTIONS);
    super(args);
    const who = this.label;
    this.numHeads = positiveInt(who, 'numHeads', args.numHeads);
    this.keyDim = positiveInt(who, 'keyDim', args.keyDim);
    this.valueDim =
      args.valueDim === undefined || args.valueDim === null ? this.keyDim : positiveInt(who, 'valueDim', args.valueDim);
    this.dropout = numberIn(who, 'dropout', args.dropout ?? 0, 0, 1, true);
    this.useBias = optionalBool(who, 'useBias', args.useBias, true);
    const out: unknown = args.outputShape;
    if (out === undefined || out === null) this.outputDim = null;
    else if (Array.isArray(out) && out.length === 1) this.outputDim = positiveInt(who, 'outputShape', out[0]);
    else if (typeof out === 'number') this.outputDim = positiveInt(who, 'outputShape', out);
    else
      throw new ArgumentError(
        `${who}: outputShape must be a positive integer (the output's features), got ${quote(out)}; multi-dimensional outputs are not supported`,
      );
    const axes: unknown = args.attentionAxes;
    // On [batch, time, features] inputs Keras' default attends over axis 1, so that spelling is the default too.
    if (
      !(
        axes === undefined ||
        axes === null ||
        axes === 1 ||
        (Array.isArray(axes) && axes.length === 1 && axes[0] === 1)
      )
    ) {
      throw new ArgumentError(
        `${who}: attentionAxes ${quote(axes)} is not supported; only the default (attention over the time axis of [batch, time, features] inputs) is`,
      );
    }
    this.kernelInit = args.kernelInitializer ?? 'glorot_uniform';
    initializerName(this.kernelInit, who, 'kernelInitializer');
    this.biasInit = args.biasInitializer ?? 'zeros';
    initializerName(this.biasInit, who, 'biasInitializer');
    this.seedArg = optionalSeed(who, args.seed);
    this.nextSeed = this.seedArg;
    // A subclass builds once its own fields are set (GroupedQueryAttention's head counts).
    if (this.inputShapeArg && new.target === MultiHeadAttention) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'MultiHeadAttention';
  }

  /** Builds for self-attention on inputs of `inputShape` (query = value = key). */
  override build(inputShape: PartialShape): void {
    this.buildFor(inputShape, inputShape, inputShape);
  }

  /** Creates the weights for query, value and key shapes [batch, time, features], in Keras' order. */
  buildFor(queryShape: PartialShape, valueShape: PartialShape, keyShape: PartialShape): void {
    const dims = [
      this.lastDim(queryShape, 'query'),
      this.lastDim(valueShape, 'value'),
      this.lastDim(keyShape, 'key'),
    ] as [number, number, number];
    const [qd, vd, kd] = dims;
    const H = this.numHeads;
    const s = (i: number): number | undefined => (this.seedArg === undefined ? undefined : this.seedArg + i);
    const project = (name: string, shape: number[], biasShape: number[], seed: number | undefined): Projection => ({
      kernel: this.addWeight(`${name}/kernel`, shape, this.kernelInit, { seed }),
      bias: this.useBias ? this.addWeight(`${name}/bias`, biasShape, this.biasInit) : null,
    });
    this.query = project('query', [qd, H, this.keyDim], [H, this.keyDim], s(0));
    const kvH = this.keyValueHeads;
    this.key = project('key', [kd, kvH, this.keyDim], [kvH, this.keyDim], s(1));
    this.value = project('value', [vd, kvH, this.valueDim], [kvH, this.valueDim], s(2));
    const outDim = this.outputDim ?? qd;
    this.output = project('attention_output', [H, this.valueDim, outDim], [outDim], s(3));
    this.dims = dims;
    this.built = true;
  }

  /** Heads of the key and value projections: numHeads here; fewer in GroupedQueryAttention, each shared by numHeads / keyValueHeads query heads. */
  protected get keyValueHeads(): number {
    return this.numHeads;
  }

  private lastDim(shape: PartialShape, what: string): number {
    if (shape.length !== 3 || shape[2] === null) {
      throw new ShapeError(
        `${this.label}: expects a ${what} of shape [batch, time, features] with known features, got ${fmtKerasShape(shape)}`,
      );
    }
    return shape[2];
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    return [...inputShape.slice(0, -1), this.outputDim ?? inputShape[inputShape.length - 1]];
  }

  // ---- functional models ----------------------------------------------------------------

  override applySymbolic(inputs: SymbolicTensor[], callArgs: Record<string, unknown> | null): SymbolicTensor {
    if (inputs.length < 2 || inputs.length > 3) {
      throw new ArgumentError(
        `${this.label} takes a query and a value (and optionally a key), got ${inputs.length} symbolic tensor(s); for self-attention apply it as mha.apply(x, x)`,
      );
    }
    const args = camelCaseKeys(callArgs ?? {}, this.label) as Record<string, unknown>;
    for (const k of Object.keys(args)) {
      if (!NODE_OPTIONS.includes(k)) {
        const why = CALL_OPTIONS.includes(k)
          ? ' in a functional model (tensors cannot be saved in its config; padding masks come from the inputs)'
          : '';
        throw new ArgumentError(
          `${this.label}: option '${k}' is not supported${why} (functional options: ${NODE_OPTIONS.join(', ')})`,
        );
      }
    }
    optionalBool(this.label, 'useCausalMask', args.useCausalMask, false);
    if (optionalBool(this.label, 'returnAttentionScores', args.returnAttentionScores, false)) {
      throw new ArgumentError(
        `${this.label}: returnAttentionScores gives two tensors, but a functional model takes layers with one output; call the layer directly`,
      );
    }
    const [q, v, k = v] = inputs;
    if (!this.built) this.buildFor(q.shape, v.shape, k.shape);
    else
      this.checkDims(
        q.shape[2] ?? null,
        v.shape[2] ?? null,
        k.shape[2] ?? null,
        [q.shape, v.shape, k.shape].map(fmtKerasShape),
      );
    if (q.shape[0] !== null && v.shape[0] !== null && q.shape[0] !== v.shape[0]) {
      throw new ShapeError(
        `${this.label}: query ${fmtKerasShape(q.shape)} and value ${fmtKerasShape(v.shape)} have different batch sizes`,
      );
    }
    if (v.shape[1] !== null && k.shape[1] !== null && v.shape[1] !== k.shape[1]) {
      throw new ShapeError(
        `${this.label}: value ${fmtKerasShape(v.shape)} and key ${fmtKerasShape(k.shape)} must have the same number of steps`,
      );
    }
    const stored = Object.keys(args).length === 0 ? null : { ...args };
    return new SymbolicTensor(this.computeOutputShape(q.shape), this, inputs, q.masked, stored);
  }

  override runNode(
    inputs: Tensor[],
    masks: (Tensor | null)[],
    callArgs: Readonly<Record<string, unknown>> | null,
  ): { output: Tensor; mask: Tensor | null } {
    const [q, v, k = v] = inputs;
    const options: MultiHeadAttentionCallOptions = {
      ...(camelCaseKeys(callArgs ?? {}, this.label) as MultiHeadAttentionCallOptions),
    };
    if (masks[0]) options.queryMask = masks[0];
    if (masks[1]) options.valueMask = masks[1];
    // Keras reads the key's own mask, which for key = value is the value's.
    const keyMask = inputs.length > 2 ? masks[2] : masks[1];
    if (keyMask) options.keyMask = keyMask;
    // As Keras, the output carries the query's mask: its steps are the query's.
    return { output: this.forwardCall(q, v, k, options) as Tensor, mask: masks[0] };
  }

  /** Sequential models and one-input wrappers build and run a layer through these two; attention needs a query and a value. */
  override ensureBuilt(): never {
    this.refuseOneInput();
  }

  override callMasked(): never {
    this.refuseOneInput();
  }

  private refuseOneInput(): never {
    throw new ArgumentError(
      `${this.label} takes a query and a value (two inputs), so it cannot run in a Sequential model or a one-input wrapper; use a functional model, with mha.apply(x, x) for self-attention`,
    );
  }

  // ---- computing ------------------------------------------------------------------------

  override call(...inputs: Parameters<this['forward']>): ReturnType<this['forward']> {
    const [query, value, third] = inputs as unknown[];
    const key = third instanceof Tensor ? third : value;
    // Built from all three shapes (the base class would build from the query's alone).
    if (!this.built) {
      const ok = [query, value, key].every((t) => t instanceof Tensor && t.rank === 3);
      // Not buildable: forward's checks say which input is wrong (Layer.call would build from the query alone).
      if (!ok) return (this.forward as (...a: unknown[]) => ReturnType<this['forward']>)(...inputs);
      const [q, v, k] = [query, value, key] as Tensor[];
      this.buildFor([null, ...q.shape.slice(1)], [null, ...v.shape.slice(1)], [null, ...k.shape.slice(1)]);
    }
    return super.call(...inputs);
  }

  private forwardCall(
    q: Tensor,
    v: Tensor,
    k: Tensor,
    options: MultiHeadAttentionCallOptions,
  ): Tensor | [Tensor, Tensor] {
    return (this.call as unknown as (...a: unknown[]) => Tensor | [Tensor, Tensor])(q, v, k, options);
  }

  /** `forward(query, value, key?, options?)`: [batch, T, outDim], or with returnAttentionScores [output, scores [batch, numHeads, T, S]]. */
  override forward(
    query: Tensor,
    value: Tensor,
    keyOrOptions?: Tensor | MultiHeadAttentionCallOptions,
    maybeOptions?: MultiHeadAttentionCallOptions,
  ): Tensor | [Tensor, Tensor] {
    const who = this.label;
    const key = keyOrOptions instanceof Tensor ? keyOrOptions : value;
    const rawOptions: unknown =
      keyOrOptions instanceof Tensor || keyOrOptions === undefined ? (maybeOptions ?? {}) : keyOrOptions;
    if (rawOptions === null || typeof rawOptions !== 'object' || Array.isArray(rawOptions))
      throw new ArgumentError(`${who}: call options must be an object, got ${quote(rawOptions)}`);
    const options = camelCaseKeys(rawOptions, who) as MultiHeadAttentionCallOptions;
    rejectUnknownOptions(who, options, CALL_OPTIONS);
    this.checkInput(query, 'query');
    this.checkInput(value, 'value');
    this.checkInput(key, 'key');
    const [B, T] = query.shape;
    const S = value.shape[1];
    if (value.shape[0] !== B || key.shape[0] !== B) {
      throw new ShapeError(
        `${who}: query ${fmtShape(query.shape)}, value ${fmtShape(value.shape)} and key ${fmtShape(key.shape)} must have the same batch size`,
      );
    }
    if (key.shape[1] !== S)
      throw new ShapeError(
        `${who}: value ${fmtShape(value.shape)} and key ${fmtShape(key.shape)} must have the same number of steps`,
      );
    this.checkDims(
      query.shape[2],
      value.shape[2],
      key.shape[2],
      [query, value, key].map((t) => fmtShape(t.shape)),
    );
    const causal = optionalBool(who, 'useCausalMask', options.useCausalMask, false);
    const returnScores = optionalBool(who, 'returnAttentionScores', options.returnAttentionScores, false);
    const training = optionalBool(who, 'training', options.training, this.training);
    const masks: [Tensor | undefined, number[], string][] = [
      [options.attentionMask, [B, T, S], 'attentionMask'],
      [options.queryMask, [B, T], 'queryMask'],
      [options.valueMask, [B, S], 'valueMask'],
      [options.keyMask, [B, S], 'keyMask'],
    ];
    for (const [m, shape, name] of masks) if (m !== undefined && m !== null) this.checkMaskArg(m, shape, name);
    const rate = training ? this.dropout : 0;
    let seed: number | undefined;
    if (rate > 0 && this.nextSeed !== undefined) seed = this.nextSeed++;

    const H = this.numHeads;
    const [qp, kp, vp, op] = [this.query, this.key, this.value, this.output] as Projection[];
    return tidy(() => {
      // [B, L, dim] · [dim, H·d] → [B, H, L, d]: EinsumDense 'abc,cde->abde', heads moved before the steps.
      const project = (x: Tensor, p: Projection, d: number): Tensor => {
        const h = p.kernel.shape[1];
        let y = matmul(x, reshape(p.kernel, [x.shape[2], h * d]));
        if (p.bias) y = add(y, reshape(p.bias, [h * d]));
        return transpose(reshape(y, [B, x.shape[1], h, d]), [0, 2, 1, 3]);
      };
      // Query heads u·r … u·r + r − 1 share key/value head u (Keras' ops.repeat on the head axis);
      // folding those r heads into the query steps reads the shared head without copying it.
      const G = this.keyValueHeads;
      const r = H / G;
      // Keras scales the query, not the scores.
      const q = mul(project(query, qp, this.keyDim), 1 / Math.sqrt(this.keyDim));
      const k = project(key, kp, this.keyDim);
      const v = project(value, vp, this.valueDim);
      let scores =
        r === 1
          ? matmul(q, k, { transposeB: true })
          : reshape(matmul(reshape(q, [B, G, r * T, this.keyDim]), k, { transposeB: true }), [B, H, T, S]);
      const mask = this.combinedMask(options, B, T, S, causal, query);
      if (mask) scores = where(reshape(mask, [mask.shape[0], 1, T, S]), scores, LARGE_NEGATIVE);
      const probs = softmax(scores, -1);
      const dropped = rate > 0 ? dropoutOp(probs, rate, { seed }) : probs;
      const heads =
        r === 1 ? matmul(dropped, v) : reshape(matmul(reshape(dropped, [B, G, r * T, S]), v), [B, H, T, this.valueDim]);
      const joined = reshape(transpose(heads, [0, 2, 1, 3]), [B, T, H * this.valueDim]);
      const outDim = op.kernel.shape[2];
      let out = matmul(joined, reshape(op.kernel, [H * this.valueDim, outDim]));
      if (op.bias) out = add(out, op.bias);
      return returnScores ? [out, probs] : out;
    }) as Tensor | [Tensor, Tensor];
  }

  /**
   * Keras' _compute_attention_mask: the query mask [B, T, 1], the value and key masks
   * [B, 1, S], the causal mask [T, S] and attentionMask [B, T, S], all and-ed; null when none.
   */
  private combinedMask(
    o: MultiHeadAttentionCallOptions,
    B: number,
    T: number,
    S: number,
    causal: boolean,
    like: Tensor,
  ): Tensor | null {
    const asBool = (m: Tensor): Tensor => (m.dtype === 'bool' ? m : ne(m, 0));
    const parts: Tensor[] = [];
    if (o.queryMask) parts.push(reshape(asBool(o.queryMask), [B, T, 1]));
    if (o.valueMask) parts.push(reshape(asBool(o.valueMask), [B, 1, S]));
    if (o.keyMask) parts.push(reshape(asBool(o.keyMask), [B, 1, S]));
    if (causal) parts.push(tril(ones([T, S], 'bool', { backend: like.backend })));
    if (o.attentionMask) parts.push(asBool(o.attentionMask));
    if (parts.length === 0) return null;
    let m = parts.reduce((a, b) => logicalAnd(a, b));
    // Broadcasting may leave a leading 1 or a smaller rank (the causal mask alone is [T, S]).
    if (m.rank === 2) m = reshape(m, [1, T, S]);
    return m.shape[1] === T && m.shape[2] === S ? m : logicalAnd(m, ones([1, T, S], 'bool', { backend: like.backend }));
  }

  private checkInput(x: unknown, what: string): asserts x is Tensor {
    if (!(x instanceof Tensor)) throw new ArgumentError(`${this.label}: ${what} must be a Tensor, got ${quote(x)}`);
    x.assertAlive(this.label);
    if (x.dtype !== 'float32')
      throw new DTypeError(`${this.label}: ${what} must be float32, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
    if (x.rank !== 3)
      throw new ShapeError(`${this.label}: ${what} must have shape [batch, time, features], got ${fmtShape(x.shape)}`);
  }

  /** The inputs' feature sizes against those the weights were built for. */
  private checkDims(qd: number | null, vd: number | null, kd: number | null, shapes: string[]): void {
    const got = [qd, vd, kd];
    const names = ['query', 'value', 'key'];
    const bad = got.findIndex((d, i) => d !== this.dims[i]);
    if (bad >= 0) {
      throw new ShapeError(
        `${this.label}: was built for a ${names[bad]} with ${this.dims[bad]} features, got ${names[bad]} of shape ${shapes[bad]} (query, value, key: ${shapes.join(', ')})`,
      );
    }
  }

  private checkMaskArg(m: unknown, shape: number[], name: string): void {
    const who = this.label;
    if (!(m instanceof Tensor)) throw new ArgumentError(`${who}: ${name} must be a Tensor, got ${quote(m)}`);
    m.assertAlive(who);
    // A float mask is refused: PyTorch's float masks are added to the scores, Keras' are cast to bool; either reading could be meant.
    if (m.dtype !== 'bool' && m.dtype !== 'int32') {
      throw new DTypeError(
        `${who}: ${name} must be bool (true = attend) or int32 (non-zero = attend), got ${m.dtype} of shape ${fmtShape(m.shape)}`,
      );
    }
    if (m.rank !== shape.length || m.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(
        `${who}: ${name} of shape ${fmtShape(m.shape)} does not match the inputs: expected ${fmtShape(shape)}`,
      );
    }
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      outputShape: this.outputDim,
      attentionAxes: null,
      kernelInitializer: this.kernelInit,
      biasInitializer: this.biasInit,
      ...(this.seedArg === undefined ? {} : { seed: this.seedArg }),
    };
  }
}
