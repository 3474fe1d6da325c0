import { Embedding, GELU, LayerNorm, Linear, Module, ModuleList, init } from '@tsdl/nn';
import {
  ArgumentError,
  type Tensor,
  arange,
  matmul,
  reshape,
  scaledDotProductAttention,
  split,
  tidy,
  transpose,
} from '@tsdl/tensor';

/** The shape of a GPT. nanoGPT's CPU recipe is { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64 }. */
export interface GptConfig {
  /** Characters in the vocabulary. */
  vocabSize: number;
  /** The longest context: positions 0 … blockSize−1 have an embedding. */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** Embedding width E; a multiple of nHead. */
  nEmbd: number;
}

/** nanoGPT's CPU recipe for Shakespeare, used here on Moby-Dick (the vocabulary comes from the text). */
export const NANO_GPT_CPU: Omit<GptConfig, 'vocabSize'> = { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64 };

const CONFIG_KEYS = ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const;

/** Checks a config (also one read back from a checkpoint): positive integers, nEmbd a multiple of nHead, no unknown keys. */
export function checkConfig(c: GptConfig, where = 'CharGpt'): GptConfig {
  if (c === null || typeof c !== 'object') throw new ArgumentError(`${where}: config must be an object`);
  for (const k of Object.keys(c))
    if (!(CONFIG_KEYS as readonly string[]).includes(k))
      throw new ArgumentError(`${where}: unknown config key '${k}' (known: ${CONFIG_KEYS.join(', ')})`);
  for (const k of CONFIG_KEYS) {
    if (!Number.isInteger(c[k]) || c[k] < 1)
      throw new ArgumentError(`${where}: ${k} must be a positive integer, got ${String(c[k])}`);
  }
  if (c.nEmbd % c.nHead !== 0)
    throw new ArgumentError(`${where}: nEmbd (${c.nEmbd}) must be a multiple of nHead (${c.nHead})`);
  return { vocabSize: c.vocabSize, blockSize: c.blockSize, nLayer: c.nLayer, nHead: c.nHead, nEmbd: c.nEmbd };
}

/** nanoGPT's init: N(0, std) for every Linear and Embedding weight (the seed keeps each tensor's draw reproducible). */
const normal = (std: number) => (shape: readonly number[], o?: { seed?: number }) =>
  init.normal(shape, { std, seed: o?.seed });

/** A seed per tensor, so a model is the same for a seed whatever else used the global generator. */
class Seeds {
  private k = 0;
  constructor(private readonly base: number | undefined) {}
  next(): number | undefined {
    return this.base === undefined ? undefined : this.base * 1000 + this.k++;
  }
}

/** Multi-head causal self-attention: one projection to q, k and v, then c_proj back to E. */
class CausalSelfAttention extends Module {
  readonly cAttn: Linear;
  readonly cProj: Linear;

  constructor(
    private readonly c: GptConfig,
    seeds: Seeds,
  ) {
    super();
    // bias=False everywhere, nanoGPT's CPU recipe choice (the PyTorch reference matches it).
    this.cAttn = this.registerModule(
      'c_attn',
      new Linear(c.nEmbd, 3 * c.nEmbd, { bias: false, weightInit: normal(0.02), seed: seeds.next() }),
    );
    // The residual projections start smaller, 0.02/√(2·nLayer), as GPT-2 scales them for depth.
    this.cProj = this.registerModule(
      'c_proj',
      new Linear(c.nEmbd, c.nEmbd, {
        bias: false,
        weightInit: normal(0.02 / Math.sqrt(2 * c.nLayer)),
        seed: seeds.next(),
      }),
    );
  }

  override forward(x: Tensor): Tensor {
    return tidy(() => {
      const [B, T, E] = x.shape;
      const H = this.c.nHead;
      // [B, T, E] → [B, H, T, E/H] for each of q, k and v.
      const heads = (t: Tensor) => transpose(reshape(t, [B, T, H, E / H]), [0, 2, 1, 3]);
      const [q, k, v] = split(this.cAttn.call(x), [E, E, E], 2).map(heads);
      const y = scaledDotProductAttention(q, k, v, { isCausal: true });
      return this.cProj.call(reshape(transpose(y, [0, 2, 1, 3]), [B, T, E]));
    });
  }
}

/** The feed-forward half of a block: E → 4E → GELU (exact) → E. */
class Mlp extends Module {
  readonly cFc: Linear;
  readonly gelu = new GELU();
  readonly cProj: Linear;

  constructor(c: GptConfig, seeds: Seeds) {
    super();
    this.cFc = this.registerModule(
      'c_fc',
      new Linear(c.nEmbd, 4 * c.nEmbd, { bias: false, weightInit: normal(0.02), seed: seeds.next() }),
    );
    this.cProj = this.registerModule(
      'c_proj',
      new Linear(4 * c.nEmbd, c.nEmbd, {
        bias: false,
        weightInit: normal(0.02 / Math.sqrt(2 * c.nLayer)),
        seed: seeds.next(),
      }),
    );
  }

  override forward(x: Tensor): Tensor {
    return tidy(() => this.cProj.call(this.gelu.call(this.cFc.call(x))));
  }
}

/** A pre-norm Transformer block: x + attn(ln₁(x)), then x + mlp(ln₂(x)). */
class Block extends Module {
  readonly ln1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln2: LayerNorm;
  readonly mlp: Mlp;

  constructor(c: GptConfig, seeds: Seeds) {
    super();
    this.ln1 = this.registerModule('ln_1', new LayerNorm(c.nEmbd, { bias: false }));
    this.attn = this.registerModule('attn', new CausalSelfAttention(c, seeds));
    this.ln2 = this.registerModule('ln_2', new LayerNorm(c.nEmbd, { bias: false }));
    this.mlp = this.registerModule('mlp', new Mlp(c, seeds));
  }

  override forward(x: Tensor): Tensor {
    return tidy(() => {
      const h = x.add(this.attn.call(this.ln1.call(x)));
      return h.add(this.mlp.call(this.ln2.call(h)));
    });
  }
}

/**
 * nanoGPT's GPT for characters: token and learned position embeddings, nLayer
 * pre-norm blocks, a final LayerNorm, and the logits as the product with the
 * token embedding (the output layer is tied to it, as nanoGPT ties lm_head:
 * one [V, E] parameter gets gradients from both uses). Parameter names follow
 * nanoGPT's (wte, wpe, h.0.attn.c_attn …) so a state dict reads like its.
 */
export class CharGpt extends Module {
  readonly config: GptConfig;
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly h: ModuleList;
  readonly lnF: LayerNorm;

  /** `seed` fixes the initial weights (default: the global generator). */
  constructor(config: GptConfig, seed?: number) {
    super();
    this.config = checkConfig(config);
    const c = this.config;
    const seeds = new Seeds(seed);
    this.wte = this.registerModule(
      'wte',
      new Embedding(c.vocabSize, c.nEmbd, { weightInit: normal(0.02), seed: seeds.next() }),
    );
    this.wpe = this.registerModule(
      'wpe',
      new Embedding(c.blockSize, c.nEmbd, { weightInit: normal(0.02), seed: seeds.next() }),
    );
    this.h = this.registerModule('h', new ModuleList(Array.from({ length: c.nLayer }, () => new Block(c, seeds))));
    this.lnF = this.registerModule('ln_f', new LayerNorm(c.nEmbd, { bias: false }));
  }

  /** ids int32 [B, T] with T ≤ blockSize → logits [B, T, vocabSize]. */
  override forward(ids: Tensor): Tensor {
    const T = ids.shape[ids.rank - 1];
    if (ids.rank !== 2 || ids.dtype !== 'int32')
      throw new ArgumentError(`CharGpt: ids must be int32 [batch, steps], got ${ids.dtype} [${ids.shape.join(', ')}]`);
    if (T < 1 || T > this.config.blockSize)
      throw new ArgumentError(`CharGpt: ${T} steps, but the context holds 1 to ${this.config.blockSize}`);
    return tidy(() => {
      const pos = arange(0, T, 1, 'int32', { backend: ids.backend });
      let x = this.wte.call(ids).add(this.wpe.call(pos));
      for (const block of this.h) x = block.call(x);
      return matmul(this.lnF.call(x), this.wte.weight, { transposeB: true });
    });
  }
}

/** Builds the model of `config` with initial weights fixed by `seed`. */
export function buildCharGpt(config: GptConfig, seed?: number): CharGpt {
  return new CharGpt(config, seed);
}
