/**
 * GroupedQueryAttention against an explicit numpy computation of Keras 3's equations
 * (fixtures/grouped_query_attention.py), against MultiHeadAttention with the shared
 * key/value heads copied out, finite-difference gradients, save/load and errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, ShapeError, type Tensor, concat, memory, reshape, slice, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  GroupQueryAttention,
  GroupedQueryAttention,
  Input,
  MultiHeadAttention,
  modelFromArtifacts,
  model as makeModel,
  modelToArtifacts,
} from '../src/index';
import { layerFromConfig as deserializeLayer } from '../src/layers/registry';
import { expectValues, flat, seeded, thrown, useCpu } from './helpers';

useCpu();

interface Arr {
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'grouped-query-attention.json'), 'utf8')) as {
  cases: {
    config: Record<string, number>;
    useCausalMask: boolean;
    query: Arr;
    value: Arr;
    key?: Arr;
    weights: Record<string, Arr>;
    output: Arr;
  }[];
};
const t = (a: Arr): Tensor => tensor(a.data, a.shape);

describe('GroupedQueryAttention: known values (numpy, fixtures/grouped_query_attention.py)', () => {
  fixture.cases.forEach((c, i) => {
    it(`${JSON.stringify(c.config)}${c.useCausalMask ? ', causal' : ''}${c.key ? ', separate key' : ''} #${i}`, () => {
      const l = new GroupedQueryAttention(c.config as never);
      const [q, v] = [t(c.query), t(c.value)];
      const k = c.key ? t(c.key) : v;
      l.call(q, v, k);
      const named = l.namedWeights();
      expect(named.map(([n, w]) => [n, [...w.shape]])).toEqual(Object.entries(c.weights).map(([n, w]) => [n, w.shape]));
      for (const [n, w] of named) w.assign(t(c.weights[n]));
      const y = l.call(q, v, k, { useCausalMask: c.useCausalMask }) as Tensor;
      expect(y.shape).toEqual(c.output.shape);
      expectValues(y, c.output.data, { atol: 2e-5, rtol: 2e-4 });
    });
  });

  it('equals MultiHeadAttention whose key/value heads are the shared ones repeated', () => {
    const g = new GroupedQueryAttention({
      headDim: 2,
      numQueryHeads: 4,
      numKeyValueHeads: 2,
      biasInitializer: 'random_normal',
      seed: 3,
    });
    const m = new MultiHeadAttention({ numHeads: 4, keyDim: 2 });
    const [q, v] = [seeded([2, 3, 5], 1), seeded([2, 4, 3], 2)];
    g.call(q, v);
    m.call(q, v);
    // Head u of the query reads key/value head ⌊u / 2⌋ (Keras' ops.repeat on the head axis).
    const rep = (w: Tensor, axis: number): Tensor => {
      const parts: Tensor[] = [];
      for (let h = 0; h < 2; h++) {
        const begin = w.shape.map((_, a) => (a === axis ? h : 0));
        const end = w.shape.map((d, a) => (a === axis ? h + 1 : d));
        const one = slice(w, begin, end);
        parts.push(one, one);
      }
      return concat(parts, axis);
    };
    const gw = new Map(g.namedWeights());
    for (const [n, w] of m.namedWeights()) {
      const src = gw.get(n) as Tensor;
      w.assign(n.startsWith('key/') || n.startsWith('value/') ? rep(src, n.endsWith('kernel') ? 1 : 0) : src);
    }
    expectValues(
      m.call(q, v, { useCausalMask: true }) as Tensor,
      flat(g.call(q, v, { useCausalMask: true }) as Tensor),
    );
  });

  it('GroupQueryAttention is the same class; the output has the query features', () => {
    expect(GroupQueryAttention).toBe(GroupedQueryAttention);
    const l = new GroupedQueryAttention({
      head_dim: 3,
      num_query_heads: 2,
      num_key_value_heads: 1,
      use_bias: false,
    } as never);
    const y = l.call(seeded([1, 2, 6]), seeded([1, 3, 4])) as Tensor;
    expect(y.shape).toEqual([1, 2, 6]);
    expect(l.computeOutputShape([null, 2, 6])).toEqual([null, 2, 6]);
    expect(l.namedWeights().map(([n, w]) => [n, [...w.shape]])).toEqual([
      ['query/kernel', [6, 2, 3]],
      ['key/kernel', [4, 1, 3]],
      ['value/kernel', [4, 1, 3]],
      ['attention_output/kernel', [2, 3, 6]],
    ]);
  });
});

describe('GroupedQueryAttention gradients match finite differences', () => {
  it('w.r.t. the query, the value and every projection kernel and bias (causal)', async () => {
    const m = new GroupedQueryAttention({
      headDim: 2,
      numQueryHeads: 4,
      numKeyValueHeads: 2,
      biasInitializer: 'random_normal',
      seed: 7,
    });
    const q0 = seeded([1, 3, 3], 14);
    const v0 = seeded([1, 2, 4], 15);
    m.call(q0, v0);
    const projections = [m.query, m.key, m.value, m.output].map((p) => p as { kernel: Tensor; bias: Tensor | null });
    const f = (q: Tensor, v: Tensor, ...ws: Tensor[]): Tensor => {
      const saved = projections.map((p) => [p.kernel, p.bias] as const);
      projections.forEach((p, i) => {
        p.kernel = ws[2 * i];
        p.bias = ws[2 * i + 1];
      });
      try {
        return m.call(q, v, { useCausalMask: true }) as Tensor;
      } finally {
        projections.forEach((p, i) => ([p.kernel, p.bias] = saved[i]));
      }
    };
    await gradCheck(f, [q0, v0, ...projections.flatMap((p) => [p.kernel, p.bias as Tensor])], { eps: 1e-2 });
  });
});

describe('GroupedQueryAttention config, save and load', () => {
  it('getConfig has Keras 3 keys and makes the same layer back (through the registry too)', () => {
    const l = new GroupedQueryAttention({
      headDim: 4,
      numQueryHeads: 6,
      numKeyValueHeads: 2,
      dropout: 0.1,
      useBias: false,
      seed: 5,
      name: 'gqa',
    });
    const c = l.getConfig();
    expect(c).toEqual({
      name: 'gqa',
      trainable: true,
      headDim: 4,
      numQueryHeads: 6,
      numKeyValueHeads: 2,
      dropout: 0.1,
      useBias: false,
      kernelInitializer: 'glorot_uniform',
      biasInitializer: 'zeros',
      seed: 5,
    });
    expect(new GroupedQueryAttention(c as never).getConfig()).toEqual(c);
    for (const className of ['GroupedQueryAttention', 'GroupQueryAttention']) {
      const back = deserializeLayer({ className, config: { ...c, flash_attention: null } });
      expect(back).toBeInstanceOf(GroupedQueryAttention);
      expect(back.getConfig()).toEqual(c);
    }
  });

  it('a functional model with it saves and loads with equal predictions', async () => {
    const q = Input({ shape: [3, 4] });
    const v = Input({ shape: [5, 2] });
    const y = new GroupedQueryAttention({
      headDim: 2,
      numQueryHeads: 4,
      numKeyValueHeads: 2,
      biasInitializer: 'random_uniform',
      seed: 2,
    }).apply(q, v, { useCausalMask: true });
    const m = makeModel({ inputs: [q, v], outputs: y });
    const xs = [seeded([2, 3, 4], 3), seeded([2, 5, 2], 4)];
    const back = await modelFromArtifacts(await modelToArtifacts(m));
    expect(back.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
    expect(flat(back.predict(xs) as Tensor)).toEqual(flat(m.predict(xs) as Tensor));
  });
});

describe('GroupedQueryAttention errors', () => {
  it('bad options name the layer and the option', async () => {
    const e1 = await thrown(() => new GroupedQueryAttention({ headDim: 2, numQueryHeads: 6, numKeyValueHeads: 4 }));
    expect(e1).toBeInstanceOf(ArgumentError);
    expect(e1.message).toMatch(
      /GroupedQueryAttention: numQueryHeads \(6\) must be a multiple of numKeyValueHeads \(4\)/,
    );
    const e2 = await thrown(
      () => new GroupedQueryAttention({ headDim: 2, numQueryHeads: 2, numKeyValueHeads: 1, numHeads: 2 } as never),
    );
    expect(e2).toBeInstanceOf(ArgumentError);
    expect(e2.message).toMatch(/GroupedQueryAttention.*numHeads/);
    const e3 = await thrown(() => new GroupedQueryAttention({ headDim: 0, numQueryHeads: 2, numKeyValueHeads: 1 }));
    expect(e3.message).toMatch(/GroupedQueryAttention: headDim must be a positive integer, got 0/);
  });

  it('inputs of the wrong features or steps are ShapeErrors naming the shapes; memory unchanged', () => {
    const l = new GroupedQueryAttention({ headDim: 2, numQueryHeads: 2, numKeyValueHeads: 1 });
    const [q, v] = [seeded([1, 2, 3]), seeded([1, 4, 3])];
    (l.call(q, v) as Tensor).dispose();
    const bad = seeded([1, 4, 5]);
    const wrongKey = seeded([1, 3, 3]);
    const rank2 = reshape(q, [2, 3]);
    const n = memory().numTensors;
    expect(() => l.call(q, bad)).toThrow(ShapeError);
    expect(() => l.call(q, bad)).toThrow(/built for a value with 3 features, got value of shape \[1,4,5\]/);
    expect(() => l.call(q, v, wrongKey)).toThrow(
      /value \[1,4,3\] and key \[1,3,3\] must have the same number of steps/,
    );
    expect(() => l.call(rank2 as never, v)).toThrow(ShapeError);
    expect(memory().numTensors).toBe(n);
  });
});
