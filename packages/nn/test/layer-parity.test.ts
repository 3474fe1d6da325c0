import { type Tensor, memory, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Linear, Module, ReLU, Sequential, init } from '../src/index';
import { expectClose, useCpu } from './helpers';
import { loadCases, loadIdentityInit, runCase } from './layer-fixtures';

useCpu();

/**
 * Conv1d, Conv2d groups and padding modes, ConvTranspose2d, the pooling
 * options, Upsample, Unflatten and KLDivLoss against PyTorch 1.13
 * (fixtures/make_layer_fixtures.py): outputs and the gradients of a fixed
 * projection of them with respect to the inputs and every parameter, to 1e-5.
 */

for (const file of ['conv-layers', 'pool-layers', 'upsample', 'misc-layers'] as const) {
  describe(`PyTorch parity: ${file}.json`, () => {
    for (const c of loadCases(file)) {
      it(c.name, () => {
        const before = memory().numTensors;
        const r = runCase(c);
        try {
          for (const [name, got, want] of r.pairs) {
            expect(got, `${name} is missing`).toBeTruthy();
            expect(got.shape, `${name} shape`).toEqual(want.shape);
            try {
              expectClose(got, want.data, 1e-5, 1e-5);
            } catch (e) {
              throw new Error(`${c.name}: ${name}: ${(e as Error).message}`);
            }
          }
        } finally {
          r.dispose();
        }
        expect(memory().numTensors).toBe(before);
      });
    }
  });
}

describe('PyTorch parity: init.eye_ / init.dirac_', () => {
  for (const c of loadIdentityInit().inits) {
    it(`${c.fn}(${JSON.stringify(c.shape)}${c.fn === 'dirac_' ? `, groups ${c.groups}` : ''})`, () => {
      const t = tensor(new Float32Array(c.shape.reduce((a, b) => a * b, 1)).fill(7), c.shape);
      const r = c.fn === 'eye_' ? init.eye_(t) : init.dirac_(t, c.groups);
      expect(r).toBe(t);
      expect(t.shape).toEqual(c.output.shape);
      expect(Array.from(t.dataSync())).toEqual(c.output.data);
      // The creator form gives the same values (usable as weightInit).
      const made = c.fn === 'eye_' ? init.eye(c.shape) : init.dirac(c.shape, { groups: c.groups });
      expect(Array.from(made.dataSync())).toEqual(c.output.data);
      t.dispose();
      made.dispose();
    });
  }
});

/** PyTorch's Twin: one Linear registered as `a` and `b`, then `head`. */
class Twin extends Module {
  readonly a = this.registerModule('a', new Linear(3, 3));
  readonly b = this.registerModule('b', this.a);
  readonly head = this.registerModule('head', new Linear(3, 2));
  override forward(x: Tensor): Tensor {
    return tidy(() => this.head.call(this.b.call(this.a.call(x).relu())));
  }
}

describe('PyTorch parity: state dicts of a module used twice', () => {
  const build: Record<string, () => Module> = {
    'Sequential(l, ReLU, l)': () => {
      const l = new Linear(3, 3);
      return new Sequential(l, new ReLU(), l);
    },
    'Twin: a and b are one Linear': () => new Twin(),
  };
  for (const c of loadIdentityInit().states) {
    it(`${c.name}: the same keys as PyTorch, and PyTorch's dict loads strictly`, () => {
      const before = memory().numTensors;
      const m = build[c.name]();
      const sd = m.stateDict();
      expect(Object.keys(sd)).toEqual(c.keys);
      const dict: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(c.stateDict)) dict[k] = tensor(v.data, v.shape);
      expect(m.loadStateDict(dict)).toEqual({ missingKeys: [], unexpectedKeys: [] });
      // Both names are one tensor, holding PyTorch's value.
      const [first, second] = c.keys.filter((k) => k.endsWith('weight'));
      expect(m.stateDict()[first]).toBe(m.stateDict()[second]);
      expect(Array.from(m.stateDict()[second].dataSync())).toEqual(c.stateDict[second].data.map(Math.fround));
      const x = tensor(c.input.data, c.input.shape);
      const y = m.call(x) as Tensor;
      expectClose(y, c.output.data, 1e-5, 1e-5);
      for (const t of [x, y, ...Object.values(dict)]) t.dispose();
      // Parameters are still listed once.
      expect(m.parameters().length).toBe(c.name.startsWith('Twin') ? 4 : 2);
      m.dispose();
      expect(memory().numTensors).toBe(before);
    });
  }
});
