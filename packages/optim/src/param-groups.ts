import { Tensor } from '@tsdl/tensor';
import { argumentError, nonNegative } from './validate';

/**
 * What decayGroups reads from a model: @tsdl/nn's Module has both methods.
 * Duck-typed, so @tsdl/optim does not depend on @tsdl/nn.
 */
export interface NamedModule {
  namedModules(): [string, object][];
  namedParameters(): [string, Tensor][];
}

/**
 * Decides that a parameter gets no weight decay. `owner` is the module that
 * registered it (null when decayGroups was given bare named parameters).
 */
export type NoDecayRule = (name: string, param: Tensor, owner: object | null) => boolean;

export interface DecayGroupsOptions {
  /** The weight decay of the decaying group (the other group gets 0). */
  weightDecay: number;
  /** Replaces the default rule (defaultNoDecay) for which parameters are not decayed. */
  noDecay?: NoDecayRule;
}

/** A parameter group for an optimizer with a weightDecay hyper-parameter (AdamW, Adam, SGD …). */
export type DecayGroup = { params: Tensor[]; weightDecay: number };

/**
 * Whether `m` is an embedding: @tsdl/nn's Embedding (or any module with
 * PyTorch's numEmbeddings and embeddingDim fields), or a class named
 * '…Embedding' anywhere in its class chain. Fields first, because bundlers
 * that minify may rename classes.
 */
export function isEmbedding(m: object | null): boolean {
  if (m === null || typeof m !== 'object') return false;
  const f = m as { numEmbeddings?: unknown; embeddingDim?: unknown };
  if (typeof f.numEmbeddings === 'number' && typeof f.embeddingDim === 'number') return true;
  for (let p = Object.getPrototypeOf(m); p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (/Embedding$/.test((p.constructor as { name?: string })?.name ?? '')) return true;
  }
  return false;
}

/**
 * The default rule: no decay for parameters of rank < 2 (biases and the
 * scales and shifts of LayerNorm / BatchNorm, which are vectors) or owned by
 * an embedding (isEmbedding). Matrices and convolution kernels are decayed.
 * This is nanoGPT's rank rule plus embeddings, which nanoGPT does decay but
 * many Transformer recipes exempt.
 */
export const defaultNoDecay: NoDecayRule = (_name, param, owner) => param.rank < 2 || isEmbedding(owner);

function isNamedModule(x: unknown): x is NamedModule {
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof (x as NamedModule).namedModules === 'function' &&
    typeof (x as NamedModule).namedParameters === 'function'
  );
}

/**
 * Splits a model's trainable parameters into two optimizer parameter groups,
 * `[{ params: decayed, weightDecay }, { params: rest, weightDecay: 0 }]`, for
 * decoupled weight decay on matrices only:
 *
 *     const opt = new AdamW(decayGroups(model, { weightDecay: 0.1 }), { lr: 6e-4, betas: [0.9, 0.95] });
 *
 * `source` is a module (anything with namedModules() and namedParameters(),
 * such as @tsdl/nn's Module) or its named parameters. Only a module tells
 * which module owns a parameter, so embeddings are recognised only then.
 * Parameters with requiresGrad = false (frozen) are left out. Both groups
 * are always returned, in this order, even when one is empty.
 */
export function decayGroups(
  source: NamedModule | Iterable<[string, Tensor]>,
  options: DecayGroupsOptions,
): [DecayGroup, DecayGroup] {
  const owner = 'decayGroups';
  if (options === null || typeof options !== 'object')
    argumentError(owner, 'options { weightDecay, noDecay? } are required');
  for (const k of Object.keys(options)) {
    if (k !== 'weightDecay' && k !== 'noDecay')
      argumentError(owner, `unknown option '${k}' (known: weightDecay, noDecay)`);
  }
  const weightDecay = nonNegative(owner, 'weightDecay', options.weightDecay);
  const rule = options.noDecay ?? defaultNoDecay;
  if (typeof rule !== 'function')
    argumentError(owner, `noDecay must be a function (name, param, owner) => boolean, got ${typeof rule}`);

  let named: [string, Tensor][];
  const owners = new Map<string, object>();
  if (isNamedModule(source)) {
    named = source.namedParameters();
    for (const [prefix, m] of source.namedModules()) owners.set(prefix, m);
  } else if (
    source !== null &&
    typeof source === 'object' &&
    typeof (source as Iterable<unknown>)[Symbol.iterator] === 'function'
  ) {
    named = [...(source as Iterable<[string, Tensor]>)];
  } else {
    argumentError(
      owner,
      `source must be a module (with namedModules and namedParameters) or its named parameters, got ${source === null ? 'null' : typeof source}`,
    );
  }

  const decay: Tensor[] = [];
  const keep: Tensor[] = [];
  const seen = new Set<Tensor>();
  for (const entry of named) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !(entry[1] instanceof Tensor)) {
      argumentError(owner, 'named parameters must be [name, Tensor] pairs, as namedParameters() returns');
    }
    const [name, p] = entry;
    if (seen.has(p) || !p.requiresGrad) continue; // a tied weight is listed once; frozen ones are not trained
    seen.add(p);
    // A parameter's name is its owner's dotted path, a dot, and its own key.
    const dot = name.lastIndexOf('.');
    const module = owners.get(dot < 0 ? '' : name.slice(0, dot)) ?? null;
    const exempt = rule(name, p, module);
    if (typeof exempt !== 'boolean')
      argumentError(owner, `noDecay must return a boolean, got ${typeof exempt} for '${name}'`);
    (exempt ? keep : decay).push(p);
  }
  return [
    { params: decay, weightDecay },
    { params: keep, weightDecay: 0 },
  ];
}
