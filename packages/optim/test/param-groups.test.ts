import { type Tensor, full } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
// @tsdl/optim does not depend on @tsdl/nn; the test builds a real nn model from its sources.
import { Embedding, LayerNorm, Linear, Module, Sequential } from '../../nn/src/index';
import { AdamW, decayGroups, defaultNoDecay, isEmbedding } from '../src/index';
import { expectClose, useCpu, values } from './helpers';

useCpu();

/** A miniature GPT: token and position embeddings, a block of LayerNorm + MLP, a final norm and a bias-free head. */
class TinyLM extends Module {
  readonly wte = this.registerModule('wte', new Embedding(10, 4, { seed: 1 }));
  readonly wpe = this.registerModule('wpe', new Embedding(6, 4, { seed: 2 }));
  readonly block = this.registerModule(
    'block',
    new Sequential(new LayerNorm(4), new Linear(4, 8, { seed: 3 }), new Linear(8, 4, { seed: 4 })),
  );
  readonly lnF = this.registerModule('lnF', new LayerNorm(4));
  readonly head = this.registerModule('head', new Linear(4, 10, { bias: false, seed: 5 }));
  forward(x: Tensor): Tensor {
    return x; // only the parameters matter here
  }
}

function namesOf(model: Module, ps: readonly unknown[]): string[] {
  const byTensor = new Map(model.namedParameters().map(([n, p]) => [p as unknown, n]));
  return ps.map((p) => byTensor.get(p) as string);
}

describe('decayGroups', () => {
  it('decays matrices only: no decay on biases, norm weights and embeddings', () => {
    const model = new TinyLM();
    const [decay, keep] = decayGroups(model, { weightDecay: 0.1 });
    expect(decay.weightDecay).toBe(0.1);
    expect(keep.weightDecay).toBe(0);
    expect(namesOf(model, decay.params)).toEqual(['block.1.weight', 'block.2.weight', 'head.weight']);
    expect(namesOf(model, keep.params)).toEqual([
      'wte.weight',
      'wpe.weight',
      'block.0.weight',
      'block.0.bias',
      'block.1.bias',
      'block.2.bias',
      'lnF.weight',
      'lnF.bias',
    ]);
    expect(decay.params.length + keep.params.length).toBe(model.parameters().length);
    model.dispose();
  });

  it('AdamW applies weight decay only to the decaying group (a known-answer first step)', () => {
    const model = new TinyLM();
    const lr = 0.01;
    const wd = 0.1;
    const eps = 1e-8;
    const opt = new AdamW(decayGroups(model, { weightDecay: wd }), { lr, eps });
    expect(opt.paramGroups.map((g) => g.weightDecay)).toEqual([wd, 0]);
    const named = model.namedParameters();
    const before = new Map(named.map(([n, p]) => [n, values(p)]));
    // A gradient of 0.5 everywhere: Adam's first step is lr·ĝ/(√v̂ + ε) = lr·0.5/(0.5 + ε) on every element.
    for (const [, p] of named) p.grad = full(p.shape, 0.5).keep();
    opt.step();
    const adam = (lr * 0.5) / (0.5 + eps);
    const decayed = new Set(['block.1.weight', 'block.2.weight', 'head.weight']);
    for (const [n, p] of named) {
      const rate = decayed.has(n) ? lr * wd : 0;
      // AdamW: θ ← θ·(1 − lr·λ) − lr·m̂/(√v̂ + ε)
      expectClose(
        values(p),
        before.get(n)!.map((t) => t * (1 - rate) - adam),
        1e-6,
        1e-7,
      );
    }
    // The decay is visible: an embedding row moved by the Adam step alone, a matrix by more.
    const w = before.get('head.weight')!;
    expect(Math.max(...values(model.head.weight).map((v, i) => Math.abs(v - (w[i] - adam))))).toBeGreaterThan(1e-5);
    opt.zeroGrad();
    opt.dispose();
    model.dispose();
  });

  it('the rule can be replaced or extended, and bare named parameters work without owners', () => {
    const model = new TinyLM();
    // nanoGPT's own rule: rank >= 2 decays, so the embeddings are decayed too.
    const [nanoDecay] = decayGroups(model, { weightDecay: 0.1, noDecay: (_n, p) => p.rank < 2 });
    expect(namesOf(model, nanoDecay.params)).toEqual([
      'wte.weight',
      'wpe.weight',
      'block.1.weight',
      'block.2.weight',
      'head.weight',
    ]);
    // The default plus the head.
    const [extended] = decayGroups(model, {
      weightDecay: 0.1,
      noDecay: (n, p, m) => defaultNoDecay(n, p, m) || n.startsWith('head.'),
    });
    expect(namesOf(model, extended.params)).toEqual(['block.1.weight', 'block.2.weight']);
    // Named parameters carry no owners, so only the rank rule applies.
    const [bare] = decayGroups(model.namedParameters(), { weightDecay: 0.1 });
    expect(namesOf(model, bare.params)).toEqual([
      'wte.weight',
      'wpe.weight',
      'block.1.weight',
      'block.2.weight',
      'head.weight',
    ]);
    expect(isEmbedding(model.wte)).toBe(true);
    expect(isEmbedding(model.head)).toBe(false);
    class TokenEmbedding {}
    expect(isEmbedding(new TokenEmbedding())).toBe(true);
    model.dispose();
  });

  it('leaves frozen parameters out and lists a shared parameter once', () => {
    const model = new TinyLM();
    model.block.at(1).parameters()[0].requiresGrad = false; // block.1.weight frozen
    const named = model.namedParameters();
    const [decay, keep] = decayGroups([...named, ['alias', named[named.length - 1][1]]], { weightDecay: 0.1 });
    expect(decay.params.length + keep.params.length).toBe(named.length - 1);
    expect(decay.params).not.toContain(model.block.at(1).parameters()[0]);
    model.dispose();
  });

  it('rejects bad options and sources, naming them', () => {
    const model = new TinyLM();
    expect(() => decayGroups(model, { weightDecay: -1 })).toThrow(
      /decayGroups: weightDecay must be a finite number >= 0, got -1/,
    );
    expect(() => decayGroups(model, { weightDecay: 0.1, noDecayNames: [] } as never)).toThrow(
      /decayGroups: unknown option 'noDecayNames' \(known: weightDecay, noDecay\)/,
    );
    expect(() => decayGroups(model, undefined as never)).toThrow(
      /decayGroups: options \{ weightDecay, noDecay\? \} are required/,
    );
    expect(() => decayGroups(model, { weightDecay: 0.1, noDecay: () => 1 as never })).toThrow(
      /decayGroups: noDecay must return a boolean, got number for 'wte.weight'/,
    );
    expect(() => decayGroups(42 as never, { weightDecay: 0.1 })).toThrow(
      /decayGroups: source must be a module .* got number/,
    );
    expect(() => decayGroups([['w', 3]] as never, { weightDecay: 0.1 })).toThrow(
      /named parameters must be \[name, Tensor\] pairs/,
    );
    model.dispose();
  });
});
