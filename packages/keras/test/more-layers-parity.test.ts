import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Tensor, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  AdditiveAttention,
  Attention,
  DepthwiseConv1D,
  GroupNormalization,
  type Layer,
  UnitNormalization,
} from '../src/index';
import { expectValues, useCpu } from './helpers';

useCpu();

interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  layer: string;
  config: Record<string, unknown>;
  inputs: Record<string, Arr>;
  weights: Record<string, Arr>;
  output: Arr;
  call?: Record<string, unknown>;
  masks?: Record<string, { shape: number[]; data: boolean[] }>;
  scores?: Arr;
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'more-layers.json'), 'utf8')) as { cases: Case[] };
const MAKE: Record<string, (c: Record<string, unknown>) => Layer> = {
  Attention: (c) => new Attention(c),
  AdditiveAttention: (c) => new AdditiveAttention(c),
  GroupNormalization: (c) => new GroupNormalization(c),
  UnitNormalization: (c) => new UnitNormalization(c),
  DepthwiseConv1D: (c) => new DepthwiseConv1D(c as never),
};
const t = (a: Arr): Tensor => tensor(a.data, a.shape);

describe('known values from PyTorch (fixtures/more_layers.py)', () => {
  fixture.cases.forEach((c, i) => {
    it(`${c.layer} ${JSON.stringify(c.config)} #${i}`, () => {
      const layer = MAKE[c.layer](c.config);
      const inputs = Object.values(c.inputs).map(t);
      const options: Record<string, unknown> = { ...(c.call ?? {}) };
      for (const [k, m] of Object.entries(c.masks ?? {})) options[k] = tensor(m.data, m.shape, 'bool');
      const attention = c.layer.endsWith('Attention');
      if (c.scores) options.returnAttentionScores = true;
      // Built on a first call, then given the fixture's weights by name.
      const first = attention
        ? layer.call(...([...inputs, options] as never[]))
        : layer.call(...([inputs[0]] as never[]));
      const named = new Map(layer.namedWeights());
      expect([...named.keys()].sort()).toEqual(Object.keys(c.weights).sort());
      for (const [k, w] of Object.entries(c.weights)) {
        expect([...(named.get(k) as Tensor).shape]).toEqual(w.shape);
        (named.get(k) as Tensor).assign(t(w));
      }
      void first;
      const y = attention ? layer.call(...([...inputs, options] as never[])) : layer.call(...([inputs[0]] as never[]));
      const [out, scores] = Array.isArray(y) ? (y as Tensor[]) : [y as Tensor];
      expect(out.shape).toEqual(c.output.shape);
      expectValues(out, c.output.data, { atol: 2e-5, rtol: 2e-4 });
      if (c.scores) expectValues(scores, c.scores.data, { atol: 2e-6, rtol: 2e-4 });
    });
  });
});
