import {
  ArgumentError,
  DTypeError,
  ShapeError,
  Tensor,
  cast,
  dropout as dropoutOp,
  logicalAnd,
  matmul,
  ne,
  ones,
  reshape,
  softmax,
  sum,
  tanh,
  tidy,
  tril,
  unsqueeze,
} from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, SymbolicTensor, fmtKerasShape } from './layer';
import { layerOptions } from './layer-config';
import { numberIn, optionalBool, optionalSeed } from './options';
import { SeedSequence } from './seed-sequence';

export interface AttentionCallOptions {
  /** Padding mask of the query [batch, Tq] (bool, or int32 non-zero = real): masked query steps output zeros. */
  queryMask?: Tensor | null;
  /** Padding mask of the value (and key) [batch, Tv]: masked steps get no attention. */
  valueMask?: Tensor | null;
  /** Keras' spelling of the two: [queryMask, valueMask] (either may be null). */
  mask?: readonly (Tensor | null | undefined)[] | null;
  /** Query i attends to value steps 0..i only. */
  useCausalMask?: boolean;
  /** Also return the attention distribution [batch, Tq, Tv] (before dropout): [output, scores]. */
  returnAttentionScores?: boolean;
  /** Apply dropout (default: the layer's training mode). */
  training?: boolean;
}

const CALL_OPTIONS = ['queryMask', 'valueMask', 'mask', 'useCausalMask', 'returnAttentionScores', 'training'];
/** The call options a functional node can record (JSON, saved with the model). */
const NODE_OPTIONS = ['useCausalMask'];

/** Keras' bias on masked scores (scores − 1e9·[masked]). */
const MASK_BIAS = 1e9;

/**
 * What Keras' Attention and AdditiveAttention share (its BaseDenseAttention): inputs
 * query [batch, Tq, dim], value [batch, Tv, dim] and an optional key [batch, Tv, dim]
 * (default the value); scores [batch, Tq, Tv] from the subclass, the value mask and the
 * causal mask subtract 1e9 from masked scores, softmax over Tv, dropout on the
 * distribution in training, the distribution times the value, masked query steps zeroed.
 * `call(query, value, key?, options?)`, `apply([query, value])` in a functional model
 * (which passes the inputs' padding masks; the output carries the query's).
 */
abstract class DenseAttention extends Layer {
  readonly dropout: number;
  protected readonly seeds: SeedSequence;
  /** The feature size it was built for (query, value and key share it). */
  protected dim = 0;

  protected constructor(args: LayerArgs & { dropout?: number; seed?: number }) {
    super(args);
    this.dropout = numberIn(this.label, 'dropout', args.dropout ?? 0, 0, 1, true);
    this.seeds = new SeedSequence(optionalSeed(this.label, args.seed));
  }

  /** Scores [batch, Tq, Tv] of query [batch, Tq, dim] against key [batch, Tv, dim] (under tidy). */
  protected abstract scores(query: Tensor, key: Tensor): Tensor;

  /** Creates the weights for a feature size. */
  protected abstract buildFor(dim: number): void;

  override build(inputShape: PartialShape): void {
    this.buildShapes([inputShape, inputShape]);
  }

  /** Builds from the query's and value's (and key's) shapes: all [batch, time, dim] with one dim. */
  protected buildShapes(shapes: PartialShape[]): void {
    const dim = this.checkShapes(shapes);
    if (this.built && dim !== this.dim)
      throw new ShapeError(
        `${this.label}: was built for ${this.dim} features, got inputs ${shapes.map(fmtKerasShape).join(', ')}`,
      );
    if (!this.built) {
      this.buildFor(dim);
      this.dim = dim;
      this.built = true;
    }
  }

  private checkShapes(shapes: PartialShape[]): number {
    const names = ['query', 'value', 'key'];
    shapes.forEach((s, i) => {
      if (s.length !== 3 || s[2] === null)
        throw new ShapeError(
          `${this.label}: the ${names[i]} must have shape [batch, time, features] with known features, got ${fmtKerasShape(s)}`,
        );
    });
    const [q, v, k = v] = shapes;
    if (q[2] !== v[2] || k[2] !== v[2]) {
      throw new ShapeError(
        `${this.label}: query ${fmtKerasShape(q)}, value ${fmtKerasShape(v)} and key ${fmtKerasShape(k)} must have the same number of features`,
      );
    }
    if (k[1] !== null && v[1] !== null && k[1] !== v[1])
      throw new ShapeError(
        `${this.label}: value ${fmtKerasShape(v)} and key ${fmtKerasShape(k)} must have the same number of steps`,
      );
    if (q[0] !== null && v[0] !== null && q[0] !== v[0])
      throw new ShapeError(
        `${this.label}: query ${fmtKerasShape(q)} and value ${fmtKerasShape(v)} have different batch sizes`,
      );
    return q[2] as number;
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    return inputShape;
  }

  // ---- functional models ----------------------------------------------------------------

  override applySymbolic(inputs: SymbolicTensor[], callArgs: Record<string, unknown> | null): SymbolicTensor {
    if (inputs.length < 2 || inputs.length > 3) {
      throw new ArgumentError(
        `${this.label} takes [query, value] or [query, value, key], got ${inputs.length} symbolic tensor(s); for self-attention apply it as layer.apply([x, x])`,
      );
    }
    const args = camelCaseKeys(callArgs ?? {}, this.label) as Record<string, unknown>;
    for (const k of Object.keys(args)) {
      if (!NODE_OPTIONS.includes(k)) {
        const why = CALL_OPTIONS.includes(k)
          ? ' in a functional model (masks come from the inputs; a node has one output)'
          : '';
        throw new ArgumentError(
          `${this.label}: option '${k}' is not supported${why} (functional options: ${NODE_OPTIONS.join(', ')})`,
        );
      }
    }
    optionalBool(this.label, 'useCausalMask', args.useCausalMask, false);
    this.buildShapes(inputs.map((t) => t.shape));
    const stored = Object.keys(args).length === 0 ? null : { ...args };
    return new SymbolicTensor(this.computeOutputShape(inputs[0].shape), this, inputs, inputs[0].masked, stored);
  }

  override runNode(
    inputs: Tensor[],
    masks: (Tensor | null)[],
    callArgs: Readonly<Record<string, unknown>> | null,
  ): { output: Tensor; mask: Tensor | null } {
    const [q, v, k = v] = inputs;
    const options: AttentionCallOptions = {
      ...(camelCaseKeys(callArgs ?? {}, this.label) as AttentionCallOptions),
      queryMask: masks[0],
      valueMask: masks[1],
    };
    const output = (this.call as unknown as (...a: unknown[]) => Tensor)(q, v, k, options);
    return { output, mask: masks[0] };
  }

  override ensureBuilt(): never {
    this.refuseOneInput();
  }

  override callMasked(): never {
    this.refuseOneInput();
  }

  private refuseOneInput(): never {
    throw new ArgumentError(
      `${this.label} takes a query and a value (two inputs), so it cannot run in a Sequential model or a one-input wrapper; use a functional model: layer.apply([query, value])`,
    );
  }

  // ---- computing ------------------------------------------------------------------------

  /** `forward(query, value, key?, options?)`: [batch, Tq, dim], or with returnAttentionScores [output, scores [batch, Tq, Tv]]. */
  override forward(
    query: Tensor,
    value: Tensor,
    keyOrOptions?: Tensor | AttentionCallOptions,
    maybeOptions?: AttentionCallOptions,
  ): Tensor | [Tensor, Tensor] {
    const who = this.label;
    const key = keyOrOptions instanceof Tensor ? keyOrOptions : value;
    const raw: unknown =
      keyOrOptions instanceof Tensor || keyOrOptions === undefined ? (maybeOptions ?? {}) : keyOrOptions;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new ArgumentError(`${who}: call options must be an object, got ${quote(raw)}`);
    const o = camelCaseKeys(raw, who) as AttentionCallOptions;
    rejectUnknownOptions(`${who} call`, o, CALL_OPTIONS);
    const names = ['query', 'value', 'key'];
    [query, value, key].forEach((t, i) => this.checkInput(t, names[i]));
    this.buildShapes([query, value, key].map((t) => [...t.shape]));
    const [B, Tq] = query.shape;
    const Tv = value.shape[1];
    let { queryMask, valueMask } = o;
    if (o.mask !== undefined && o.mask !== null) {
      if (!Array.isArray(o.mask) || o.mask.length !== 2)
        throw new ArgumentError(`${who}: mask must be a list [queryMask, valueMask], got ${quote(o.mask)}`);
      if ((queryMask ?? null) !== null || (valueMask ?? null) !== null)
        throw new ArgumentError(`${who}: give mask or queryMask/valueMask, not both`);
      [queryMask, valueMask] = o.mask;
    }
    if (queryMask !== undefined && queryMask !== null) this.checkMask(queryMask, [B, Tq], 'queryMask');
    if (valueMask !== undefined && valueMask !== null) this.checkMask(valueMask, [B, Tv], 'valueMask');
    const causal = optionalBool(who, 'useCausalMask', o.useCausalMask, false);
    const returnScores = optionalBool(who, 'returnAttentionScores', o.returnAttentionScores, false);
    const rate = optionalBool(who, 'training', o.training, this.training) ? this.dropout : 0;
    const seed = rate > 0 ? this.seeds.take() : undefined;
    return tidy(() => {
      let scores = this.scores(query, key);
      const asBool = (m: Tensor): Tensor => (m.dtype === 'bool' ? m : ne(m, 0));
      let keep: Tensor | null = valueMask ? reshape(asBool(valueMask), [B, 1, Tv]) : null;
      if (causal) {
        const c = reshape(tril(ones([Tq, Tv], 'bool', { backend: query.backend })), [1, Tq, Tv]);
        keep = keep ? logicalAnd(keep, c) : c;
      }
      // Keras subtracts the bias (rather than replacing the scores), so a query that sees nothing still gets a distribution.
      if (keep) scores = scores.sub(cast(keep.logicalNot(), 'float32').mul(MASK_BIAS));
      const probs = softmax(scores, -1);
      const dropped = rate > 0 ? dropoutOp(probs, rate, { seed }) : probs;
      let out = matmul(dropped, value);
      if (queryMask) out = out.mul(cast(reshape(asBool(queryMask), [B, Tq, 1]), 'float32'));
      return returnScores ? [out, probs] : out;
    }) as Tensor | [Tensor, Tensor];
  }

  private checkInput(x: unknown, what: string): asserts x is Tensor {
    if (!(x instanceof Tensor)) throw new ArgumentError(`${this.label}: ${what} must be a Tensor, got ${quote(x)}`);
    x.assertAlive(this.label);
    if (x.dtype !== 'float32')
      throw new DTypeError(`${this.label}: ${what} must be float32, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
    if (x.rank !== 3)
      throw new ShapeError(`${this.label}: ${what} must have shape [batch, time, features], got ${fmtShape(x.shape)}`);
  }

  private checkMask(m: unknown, shape: number[], name: string): void {
    if (!(m instanceof Tensor)) throw new ArgumentError(`${this.label}: ${name} must be a Tensor, got ${quote(m)}`);
    m.assertAlive(this.label);
    if (m.dtype !== 'bool' && m.dtype !== 'int32')
      throw new DTypeError(
        `${this.label}: ${name} must be bool (true = real step) or int32 (non-zero = real step), got ${m.dtype}`,
      );
    if (m.rank !== 2 || m.shape[0] !== shape[0] || m.shape[1] !== shape[1]) {
      throw new ShapeError(
        `${this.label}: ${name} of shape ${fmtShape(m.shape)} does not match the inputs: expected ${fmtShape(shape)}`,
      );
    }
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      dropout: this.dropout,
      ...(this.seeds.seed === undefined ? {} : { seed: this.seeds.seed }),
    };
  }
}

export type AttentionScoreMode = 'dot' | 'concat';

export interface AttentionArgs extends LayerArgs {
  /** Learn a scalar `scale` the scores are multiplied by (default false). */
  useScale?: boolean;
  /** 'dot' (default): q·kᵀ; 'concat': Σ tanh(q + k) over the features, times a learnt scalar. */
  scoreMode?: AttentionScoreMode;
  /** Dropout on the attention distribution in training (default 0). */
  dropout?: number;
  /** Seed of the dropout masks. */
  seed?: number;
}

/**
 * Keras' Attention (Luong-style dot-product attention). Weights, as Keras creates them:
 * `scale` [] (ones) with useScale, `concat_score_weight` [] (ones) with scoreMode 'concat'.
 * 'dot' scores: scale · q·kᵀ; 'concat': concat_score_weight · Σ_d tanh(scale · (q + k)).
 */
export class Attention extends DenseAttention {
  readonly useScale: boolean;
  readonly scoreMode: AttentionScoreMode;
  scale: Tensor | null = null;
  concatScoreWeight: Tensor | null = null;

  constructor(config: AttentionArgs = {}) {
    const a = layerOptions(
      'Attention',
      config,
      'an options object ({ useScale, scoreMode, dropout })',
      [...LAYER_OPTIONS, 'useScale', 'scoreMode', 'dropout', 'seed'],
      new.target === Attention,
    );
    super(a);
    this.useScale = optionalBool(this.label, 'useScale', a.useScale, false);
    const mode: unknown = a.scoreMode ?? 'dot';
    if (mode !== 'dot' && mode !== 'concat')
      throw new ArgumentError(`${this.label}: scoreMode must be 'dot' or 'concat', got ${quote(mode)}`);
    this.scoreMode = mode;
  }

  override get className(): string {
    return 'Attention';
  }

  protected buildFor(): void {
    if (this.useScale) this.scale = this.addWeight('scale', [], 'ones');
    if (this.scoreMode === 'concat') this.concatScoreWeight = this.addWeight('concat_score_weight', [], 'ones');
  }

  protected scores(q: Tensor, k: Tensor): Tensor {
    if (this.scoreMode === 'dot') {
      const s = matmul(q, k, { transposeB: true });
      return this.scale ? s.mul(this.scale) : s;
    }
    let summed = unsqueeze(q, 2).add(unsqueeze(k, 1));
    if (this.scale) summed = summed.mul(this.scale);
    return sum(tanh(summed), -1).mul(this.concatScoreWeight as Tensor);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), useScale: this.useScale, scoreMode: this.scoreMode };
  }
}

export interface AdditiveAttentionArgs extends LayerArgs {
  /** Learn a `scale` vector [dim] weighting the features of tanh(q + k) (default true). */
  useScale?: boolean;
  dropout?: number;
  seed?: number;
}

/**
 * Keras' AdditiveAttention (Bahdanau-style): scores Σ_d scale_d · tanh(q_d + k_d); weight
 * `scale` [dim] (glorot_uniform) with useScale.
 */
export class AdditiveAttention extends DenseAttention {
  readonly useScale: boolean;
  scale: Tensor | null = null;

  constructor(config: AdditiveAttentionArgs = {}) {
    const a = layerOptions(
      'AdditiveAttention',
      config,
      'an options object ({ useScale, dropout })',
      [...LAYER_OPTIONS, 'useScale', 'dropout', 'seed'],
      new.target === AdditiveAttention,
    );
    super(a);
    this.useScale = optionalBool(this.label, 'useScale', a.useScale, true);
  }

  override get className(): string {
    return 'AdditiveAttention';
  }

  protected buildFor(dim: number): void {
    if (this.useScale) this.scale = this.addWeight('scale', [dim], 'glorot_uniform', { seed: this.seeds.seed });
  }

  protected scores(q: Tensor, k: Tensor): Tensor {
    const t = tanh(unsqueeze(q, 2).add(unsqueeze(k, 1)));
    return sum(this.scale ? t.mul(this.scale) : t, -1);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), useScale: this.useScale };
  }
}
