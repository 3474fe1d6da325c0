import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  attentionWeights,
  broadcastTo,
  concat,
  dropout,
  matmul,
  mean,
  pad,
  reshape,
  slice,
  split,
  squeeze,
  tidy,
  transpose,
  unsqueeze,
  zeros as zerosTensor,
} from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { glorotNormal, glorotUniform, zeros } from '../../init/initializers';
import { Module } from '../../module';
import { Linear } from '../linear';
import { boolOption, checkOptionNames, positiveInt, seedOption } from '../recurrent/options';
import { causalBlocked, checkMask, foldMasks, perHead } from './masks';

export interface MultiheadAttentionOptions {
  /** The model's embedding size E (the query's features and the output's); also the first constructor argument. */
  embedDim?: number;
  /** Heads; E must be divisible by it (each head sees E / numHeads features). Also the second constructor argument. */
  numHeads?: number;
  /** Dropout probability on the attention weights, in training mode only (default 0). */
  dropout?: number;
  /** Learn in_proj_bias and out_proj.bias (default true). */
  bias?: boolean;
  /** Learn a key and a value (bias_k, bias_v [1, 1, E]) appended to every sequence of keys and values (default false). */
  addBiasKv?: boolean;
  /** Append a key and a value of zeros to every sequence after the projections (default false). */
  addZeroAttn?: boolean;
  /** Features of the keys (default E); with kdim or vdim ≠ E the projections are separate weights. */
  kdim?: number;
  /** Features of the values (default E). */
  vdim?: number;
  /** Inputs and output are [batch, seq, features] instead of [seq, batch, features] (default false). */
  batchFirst?: boolean;
  /** Seed of the initial weights (the global generator by default) and of the first call's dropout mask. */
  seed?: number;
}

export interface MultiheadAttentionForwardOptions {
  /**
   * Keys to ignore per sequence, [N, S] ([S] unbatched): bool true = padding
   * (ignored; PyTorch's convention here, the opposite of scaledDotProductAttention's),
   * or float32 added to the scores.
   */
  keyPaddingMask?: Tensor;
  /** Also return the attention weights (default true). */
  needWeights?: boolean;
  /**
   * Which query may see which key, [L, S] or [N·numHeads, L, S] (heads of a
   * sequence adjacent, as PyTorch; [numHeads, L, S] unbatched): bool true =
   * not allowed, or float32 added to the scores.
   */
  attnMask?: Tensor;
  /** Return the weights averaged over the heads, [N, L, S], rather than per head, [N, numHeads, L, S] (default true). */
  averageAttnWeights?: boolean;
  /**
   * Query i sees keys 0..i only. PyTorch takes this as a hint that attnMask
   * is causal and needs attnMask; here it builds the causal mask itself, and
   * when attnMask is given too both apply (the same result when attnMask is
   * causal, as the hint promises).
   */
  isCausal?: boolean;
}

const OPTION_NAMES = [
  'embedDim',
  'numHeads',
  'dropout',
  'bias',
  'addBiasKv',
  'addZeroAttn',
  'kdim',
  'vdim',
  'batchFirst',
  'seed',
] as const;
const FORWARD_NAMES = ['keyPaddingMask', 'needWeights', 'attnMask', 'averageAttnWeights', 'isCausal'] as const;

/**
 * Multi-head attention, as PyTorch's nn.MultiheadAttention: the query, key
 * and value are projected (one packed `in_proj_weight` [3E, E] when
 * kdim = vdim = E, else `q_proj_weight` [E, E], `k_proj_weight` [E, kdim],
 * `v_proj_weight` [E, vdim]; `in_proj_bias` [3E]), split into heads,
 * attended with scaled dot products, joined and projected by `out_proj` (a
 * Linear, so the state dict's names are PyTorch's). Initial weights as
 * PyTorch: Xavier-uniform projections, zero biases, Xavier-normal bias_k/v.
 *
 * `call(query, key, value, options)` returns `[output, weights | null]`:
 * query [L, N, E] (batchFirst: [N, L, E]; unbatched: [L, E]), key [S, N, kdim],
 * value [S, N, vdim] → output like the query, weights [N, L, S] averaged
 * over heads (or [N, numHeads, L, S]); weights are those the values were
 * multiplied with (after dropout in training, as PyTorch). A query whose
 * keys are all masked gives NaN, as PyTorch.
 */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly addZeroAttn: boolean;
  /** True when the projections are one packed in_proj_weight (kdim = vdim = embedDim). */
  readonly packed: boolean;
  readonly inProjWeight: Tensor | null;
  readonly qProjWeight: Tensor | null;
  readonly kProjWeight: Tensor | null;
  readonly vProjWeight: Tensor | null;
  readonly inProjBias: Tensor | null;
  readonly biasK: Tensor | null;
  readonly biasV: Tensor | null;
  readonly outProj: Linear;
  private nextSeed: number | undefined;

  /** `new MultiheadAttention(embedDim, numHeads, options)` or `new MultiheadAttention({ embedDim, numHeads, … })`. */
  constructor(
    embedDimOrOptions: number | MultiheadAttentionOptions,
    numHeads?: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    const owner = 'MultiheadAttention';
    const opts: MultiheadAttentionOptions =
      typeof embedDimOrOptions === 'object' && embedDimOrOptions !== null
        ? { ...embedDimOrOptions }
        : { ...options, embedDim: embedDimOrOptions, numHeads };
    checkOptionNames(owner, typeof embedDimOrOptions === 'object' ? embedDimOrOptions : options, OPTION_NAMES);
    const E = positiveInt(owner, 'embedDim', opts.embedDim);
    const H = positiveInt(owner, 'numHeads', opts.numHeads);
    if (E % H !== 0) throw new ArgumentError(`${owner}: embedDim ${E} must be divisible by numHeads ${H}`);
    this.embedDim = E;
    this.numHeads = H;
    this.headDim = E / H;
    this.kdim = opts.kdim === undefined ? E : positiveInt(owner, 'kdim', opts.kdim);
    this.vdim = opts.vdim === undefined ? E : positiveInt(owner, 'vdim', opts.vdim);
    const p = opts.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new ArgumentError(`${owner}: dropout must be a probability in [0, 1], got ${String(p)}`);
    this.dropout = p;
    this.batchFirst = boolOption(owner, 'batchFirst', opts.batchFirst, false);
    const bias = boolOption(owner, 'bias', opts.bias, true);
    const addBiasKv = boolOption(owner, 'addBiasKv', opts.addBiasKv, false);
    this.addZeroAttn = boolOption(owner, 'addZeroAttn', opts.addZeroAttn, false);
    const seed = seedOption(owner, opts.seed);
    this.nextSeed = seed;
    const s = (i: number): number | undefined => (seed === undefined ? undefined : seed + i);

    // Registered in PyTorch's order, so namedParameters() and stateDict() list the same names in the same order.
    this.packed = this.kdim === E && this.vdim === E;
    if (this.packed) {
      this.inProjWeight = this.registerParameter('in_proj_weight', glorotUniform([3 * E, E], { seed: s(0) }));
      this.qProjWeight = this.kProjWeight = this.vProjWeight = null;
    } else {
      this.inProjWeight = null;
      this.qProjWeight = this.registerParameter('q_proj_weight', glorotUniform([E, E], { seed: s(0) }));
      this.kProjWeight = this.registerParameter('k_proj_weight', glorotUniform([E, this.kdim], { seed: s(1) }));
      this.vProjWeight = this.registerParameter('v_proj_weight', glorotUniform([E, this.vdim], { seed: s(2) }));
    }
    this.inProjBias = bias ? this.registerParameter('in_proj_bias', zeros([3 * E])) : null;
    if (addBiasKv) {
      this.biasK = this.registerParameter('bias_k', glorotNormal([1, 1, E], { seed: s(4) }));
      this.biasV = this.registerParameter('bias_v', glorotNormal([1, 1, E], { seed: s(5) }));
    } else {
      this.biasK = this.biasV = null;
    }
    this.outProj = this.registerModule('out_proj', new Linear(E, E, { bias, biasInit: zeros, seed: s(3) }));
  }

  override forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: MultiheadAttentionForwardOptions = {},
  ): [Tensor, Tensor | null] {
    const owner = 'MultiheadAttention';
    checkOptionNames(owner, options, FORWARD_NAMES, 'forward options');
    const needWeights = boolOption(owner, 'needWeights', options.needWeights, true);
    const average = boolOption(owner, 'averageAttnWeights', options.averageAttnWeights, true);
    const isCausal = boolOption(owner, 'isCausal', options.isCausal, false);
    const { L, S, N, batched } = this.checkInputs(query, key, value);
    const H = this.numHeads;
    const attnMask =
      options.attnMask === undefined
        ? undefined
        : checkMask(
            owner,
            'attnMask',
            options.attnMask,
            [
              [L, S],
              [batched ? N * H : H, L, S],
            ],
            ['L, S', batched ? 'N·numHeads, L, S' : 'numHeads, L, S'],
          );
    const kpm =
      options.keyPaddingMask === undefined
        ? undefined
        : checkMask(
            owner,
            'keyPaddingMask',
            options.keyPaddingMask,
            [batched ? [N, S] : [S]],
            [batched ? 'N, S' : 'S'],
          );
    const rate = this.training ? this.dropout : 0;
    let seed: number | undefined;
    if (rate > 0 && this.nextSeed !== undefined) seed = this.nextSeed++;

    return tidy(() => {
      // Batch-first [N, seq, features] inside.
      const toBf = (x: Tensor): Tensor => (!batched ? unsqueeze(x, 0) : this.batchFirst ? x : transpose(x, [1, 0, 2]));
      const [q, k0, v0] = this.project(toBf(query), query === key && key === value ? null : toBf(key), toBf(value));
      let k = k0;
      let v = v0;
      // Masks as MultiheadAttention takes them, shaped to broadcast against the scores [N, H, L, S].
      let masks: Tensor[] = [];
      if (isCausal) masks.push(causalBlocked(L, S, query));
      if (attnMask)
        masks.push(attnMask.rank === 2 ? attnMask : batched ? perHead(attnMask, N, H) : unsqueeze(attnMask, 0));
      if (kpm) masks.push(reshape(kpm, [N, 1, 1, S]));
      // One more key at the end, which every mask allows (PyTorch pads its masks with 0 / false).
      const padKeys = (): void => {
        masks = masks.map((m) =>
          pad(
            m,
            m.shape.map((_, i) => (i === m.rank - 1 ? [0, 1] : [0, 0]) as [number, number]),
          ),
        );
      };
      if (this.biasK && this.biasV) {
        k = concat([k, broadcastTo(this.biasK, [N, 1, this.embedDim])], 1);
        v = concat([v, broadcastTo(this.biasV, [N, 1, this.embedDim])], 1);
        padKeys();
      }
      const heads = (x: Tensor): Tensor => transpose(reshape(x, [N, x.shape[1], H, this.headDim]), [0, 2, 1, 3]);
      const qh = heads(q);
      let kh = heads(k);
      let vh = heads(v);
      if (this.addZeroAttn) {
        const z = zerosTensor([N, H, 1, this.headDim], 'float32', { backend: query.backend });
        kh = concat([kh, z], 2);
        vh = concat([vh, z], 2);
        padKeys();
      }
      let w = attentionWeights(qh, kh, { mask: foldMasks(masks) });
      if (rate > 0) w = dropout(w, rate, { seed });
      const o = matmul(w, vh); // [N, H, L, hd]
      let out = this.outProj.call(reshape(transpose(o, [0, 2, 1, 3]), [N, L, this.embedDim]));
      out = !batched ? squeeze(out, 0) : this.batchFirst ? out : transpose(out, [1, 0, 2]);
      if (!needWeights) return [out, null];
      let weights = average ? mean(w, 1) : w;
      if (!batched) weights = squeeze(weights, 0);
      return [out, weights];
    }) as [Tensor, Tensor | null];
  }

  /** q, k, v [N, seq, E] from batch-first inputs; `key` null means self-attention (key = value = query): one product. */
  private project(query: Tensor, key: Tensor | null, value: Tensor): [Tensor, Tensor, Tensor] {
    const E = this.embedDim;
    const b = this.inProjBias;
    const bias = (i: number): Tensor | null => (b === null ? null : slice(b, [i * E], [(i + 1) * E]));
    const lin = (x: Tensor, w: Tensor, bi: Tensor | null): Tensor => {
      const y = matmul(x, w, { transposeB: true });
      return bi === null ? y : y.add(bi);
    };
    if (this.packed) {
      const W = this.inProjWeight as Tensor;
      if (key === null) {
        const [q, k, v] = split(lin(query, W, b), 3, 2);
        return [q, k, v];
      }
      const rows = (i: number): Tensor => slice(W, [i * E, 0], [(i + 1) * E, E]);
      return [lin(query, rows(0), bias(0)), lin(key, rows(1), bias(1)), lin(value, rows(2), bias(2))];
    }
    return [
      lin(query, this.qProjWeight as Tensor, bias(0)),
      lin(key ?? query, this.kProjWeight as Tensor, bias(1)),
      lin(value, this.vProjWeight as Tensor, bias(2)),
    ];
  }

  /** Checks ranks, dtypes and sizes before anything is allocated; returns L, S, N and whether the input is batched. */
  private checkInputs(
    query: Tensor,
    key: Tensor,
    value: Tensor,
  ): { L: number; S: number; N: number; batched: boolean } {
    const owner = 'MultiheadAttention';
    const names = ['query', 'key', 'value'] as const;
    const xs = [query, key, value];
    xs.forEach((x, i) => {
      if (x === null || typeof x !== 'object' || !('shape' in x))
        throw new ArgumentError(`${owner}: ${names[i]} must be a Tensor, got ${String(x)}`);
      x.assertAlive(`${owner} (${names[i]})`);
      if (x.dtype !== 'float32')
        throw new DTypeError(`${owner}: ${names[i]} must be float32, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
    });
    const shapes = `query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)}, value ${fmtShape(value.shape)}`;
    if (query.rank !== 2 && query.rank !== 3) {
      throw new ShapeError(
        `${owner}: query must be 3-D ${this.batchFirst ? '[N, L, E]' : '[L, N, E]'} or 2-D [L, E] (unbatched), got ${shapes}`,
      );
    }
    if (key.rank !== query.rank || value.rank !== query.rank)
      throw new ShapeError(`${owner}: query, key and value must have the same rank, got ${shapes}`);
    const batched = query.rank === 3;
    const seqAxis = batched && this.batchFirst ? 1 : 0;
    const batchAxis = this.batchFirst ? 0 : 1;
    const last = query.rank - 1;
    const dims: [string, Tensor, number][] = [
      ['embedDim', query, this.embedDim],
      ['kdim', key, this.kdim],
      ['vdim', value, this.vdim],
    ];
    dims.forEach(([what, x, want], i) => {
      if (x.shape[last] !== want)
        throw new ShapeError(`${owner}: ${names[i]} must end in ${what} = ${want}, got ${shapes}`);
    });
    if (key.shape[seqAxis] !== value.shape[seqAxis])
      throw new ShapeError(`${owner}: key and value must have the same sequence length, got ${shapes}`);
    if (
      batched &&
      (key.shape[batchAxis] !== query.shape[batchAxis] || value.shape[batchAxis] !== query.shape[batchAxis])
    ) {
      throw new ShapeError(
        `${owner}: query, key and value must have the same batch size (axis ${batchAxis}), got ${shapes}`,
      );
    }
    return { L: query.shape[seqAxis], S: key.shape[seqAxis], N: batched ? query.shape[batchAxis] : 1, batched };
  }

  override extraRepr(): string {
    const extra = this.packed ? '' : `, kdim=${this.kdim}, vdim=${this.vdim}`;
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, dropout=${this.dropout}, batchFirst=${this.batchFirst}${extra}`;
  }
}
