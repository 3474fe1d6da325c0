/**
 * ConvLSTM1D/2D/3D against a numpy loop with PyTorch convolutions (fixtures/conv_lstm.py),
 * masks, channels_first, dropout, finite-difference gradients, config and save/load
 * round trips, errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, ShapeError, type Tensor, memory, slice, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  ConvLSTM1D,
  ConvLSTM2D,
  ConvLSTM3D,
  type Layer,
  Sequential,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { layerFromConfig } from '../src/layers/registry';
import { expectValues, flat, seeded, thrown, useCpu } from './helpers';

useCpu();

interface Arr {
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'conv-lstm.json'), 'utf8')) as {
  cases: {
    layer: string;
    config: Record<string, unknown>;
    input: Arr;
    weights: Record<string, Arr>;
    output: Arr;
    h: Arr;
    c: Arr;
  }[];
};
const MAKE: Record<string, (c: Record<string, unknown>) => Layer> = {
  ConvLSTM1D: (c) => new ConvLSTM1D(c as never),
  ConvLSTM2D: (c) => new ConvLSTM2D(c as never),
  ConvLSTM3D: (c) => new ConvLSTM3D(c as never),
};
const TOL = { atol: 2e-5, rtol: 2e-4 };

describe('ConvLSTM: known values (numpy loop, fixtures/conv_lstm.py)', () => {
  fixture.cases.forEach((c, i) => {
    it(`${c.layer} ${JSON.stringify(c.config)} #${i}`, () => {
      const layer = MAKE[c.layer](c.config);
      const x = tensor(c.input.data, c.input.shape);
      layer.call(x);
      const named = layer.namedWeights();
      expect(named.map(([n, w]) => [n, [...w.shape]])).toEqual(Object.entries(c.weights).map(([n, w]) => [n, w.shape]));
      for (const [n, w] of named) w.assign(tensor(c.weights[n].data, c.weights[n].shape));
      const out = layer.call(x) as Tensor | Tensor[];
      const [y, h, cs] = Array.isArray(out) ? out : [out];
      expect(y.shape).toEqual(c.output.shape);
      expect(layer.computeOutputShape([null, ...c.input.shape.slice(1)])).toEqual([null, ...c.output.shape.slice(1)]);
      expectValues(y, c.output.data, TOL);
      if (c.config.returnState) {
        expectValues(h, c.h.data, TOL, 'h');
        expectValues(cs, c.c.data, TOL, 'c');
      }
    });
  });
});

describe('ConvLSTM2D', () => {
  it('a masked last step keeps the state: the output is that of the shorter sequence', () => {
    const l = new ConvLSTM2D({
      filters: 2,
      kernelSize: 2,
      padding: 'same',
      biasInitializer: 'random_uniform',
      seed: 3,
    });
    const x = seeded([2, 3, 3, 3, 2], 4);
    const y = l.call(x, { mask: tensor([true, true, false, true, true, false], [2, 3], 'bool') }) as Tensor;
    const short = l.call(slice(x, [0, 0, 0, 0, 0], [null, 2, null, null, null])) as Tensor;
    expectValues(y, flat(short));
  });

  it('initialState [h, c] starts the loop; channels_first agrees with channels_last', () => {
    const cfg = {
      filters: 2,
      kernelSize: [2, 3] as number[],
      padding: 'same' as const,
      returnState: true,
      seed: 1,
      biasInitializer: 'random_uniform',
    };
    const a = new ConvLSTM2D(cfg);
    const b = new ConvLSTM2D({ ...cfg, dataFormat: 'channels_first' });
    const x = seeded([2, 3, 3, 4, 2], 2);
    const h0 = seeded([2, 3, 4, 2], 5);
    const c0 = seeded([2, 3, 4, 2], 6);
    const [ya, ha, ca] = a.call(x, { initialState: [h0, c0] }) as Tensor[];
    b.call(x.transpose([0, 1, 4, 2, 3]));
    b.setWeights(a.getWeights());
    const [yb, hb, cb] = b.call(x.transpose([0, 1, 4, 2, 3]), {
      initialState: [h0.transpose([0, 3, 1, 2]), c0.transpose([0, 3, 1, 2])],
    }) as Tensor[];
    expect(yb.shape).toEqual([2, 2, 3, 4]);
    expectValues(yb.transpose([0, 2, 3, 1]), flat(ya));
    expectValues(hb.transpose([0, 2, 3, 1]), flat(ha));
    expectValues(cb.transpose([0, 2, 3, 1]), flat(ca));
    const zero = a.call(x) as Tensor[];
    expect(flat(zero[0])).not.toEqual(flat(ya));
  });

  it('dropout and recurrentDropout apply in training only, with one mask per sequence', () => {
    const l = new ConvLSTM2D({ filters: 2, kernelSize: 2, dropout: 0.5, recurrentDropout: 0.5, seed: 9 });
    const x = seeded([1, 3, 3, 3, 1], 1);
    l.eval();
    const a = flat(l.call(x) as Tensor);
    expect(flat(l.call(x) as Tensor)).toEqual(a);
    l.train();
    const b = flat(l.call(x) as Tensor);
    expect(b).not.toEqual(a);
    expect(b.every(Number.isFinite)).toBe(true);
  });

  it('gradients w.r.t. the input and every weight match finite differences', async () => {
    const l = new ConvLSTM2D({
      filters: 1,
      kernelSize: 2,
      padding: 'same',
      returnSequences: true,
      goBackwards: true,
      biasInitializer: 'random_uniform',
      seed: 5,
    });
    const x0 = seeded([1, 2, 2, 3, 1], 7);
    l.call(x0);
    await gradCheck(
      (x: Tensor, k: Tensor, r: Tensor, b: Tensor) => {
        const saved: [Tensor, Tensor, Tensor | null] = [l.kernel, l.recurrentKernel, l.bias];
        [l.kernel, l.recurrentKernel, l.bias] = [k, r, b];
        try {
          return l.call(x) as Tensor;
        } finally {
          [l.kernel, l.recurrentKernel, l.bias] = saved;
        }
      },
      [x0, l.kernel, l.recurrentKernel, l.bias as Tensor],
      { eps: 1e-2 },
    );
  });

  it('getConfig round-trips with Keras keys (snake_case accepted, through the registry); a saved model predicts the same', async () => {
    const l = new ConvLSTM2D({
      filters: 3,
      kernel_size: [3, 2],
      padding: 'same',
      return_sequences: true,
      unit_forget_bias: false,
      recurrent_activation: 'hard_sigmoid',
    } as never);
    const c = l.getConfig();
    expect(c).toMatchObject({
      filters: 3,
      kernelSize: [3, 2],
      strides: [1, 1],
      padding: 'same',
      dataFormat: 'channels_last',
      dilationRate: [1, 1],
      activation: 'tanh',
      recurrentActivation: 'hard_sigmoid',
      useBias: true,
      kernelInitializer: 'glorot_uniform',
      recurrentInitializer: 'orthogonal',
      biasInitializer: 'zeros',
      unitForgetBias: false,
      dropout: 0,
      recurrentDropout: 0,
      returnSequences: true,
      returnState: false,
      goBackwards: false,
    });
    for (const name of ['ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D']) {
      const cfg = { ...c, kernelSize: new Array(Number(name[8])).fill(2), strides: 1, dilationRate: 1 };
      const back = layerFromConfig({ className: name, config: cfg });
      expect(back.className).toBe(name);
      expect(layerFromConfig({ className: name, config: back.getConfig() }).getConfig()).toEqual(back.getConfig());
    }
    const m = new Sequential([
      new ConvLSTM2D({ filters: 2, kernelSize: 2, inputShape: [3, 3, 3, 1], returnSequences: true, seed: 2 }),
      new ConvLSTM2D({ filters: 1, kernelSize: 1, goBackwards: true, seed: 3 }),
    ]);
    const x = seeded([2, 3, 3, 3, 1], 8);
    const back = await modelFromArtifacts(await modelToArtifacts(m));
    expect(back.layers.map((z) => z.getConfig())).toEqual(m.layers.map((z) => z.getConfig()));
    expect(flat(back.predict(x) as Tensor)).toEqual(flat(m.predict(x) as Tensor));
  });

  it('errors name the layer, the option or the shapes; memory unchanged', async () => {
    expect(await thrown(() => new ConvLSTM2D({ filters: 2, kernelSize: 2, units: 3 } as never))).toBeInstanceOf(
      ArgumentError,
    );
    expect((await thrown(() => new ConvLSTM2D({ filters: 0, kernelSize: 2 }))).message).toMatch(
      /ConvLSTM2D.*filters must be a positive integer, got 0/,
    );
    expect((await thrown(() => new ConvLSTM3D({ filters: 1, kernelSize: [2, 2] }))).message).toMatch(
      /ConvLSTM3D.*kernelSize must be a positive integer or a list of 3/,
    );
    expect(
      (await thrown(() => new ConvLSTM1D({ filters: 1, kernelSize: 2, strides: 2, dilationRate: 2 }))).message,
    ).toMatch(/ConvLSTM1D.*strides/);
    const l = new ConvLSTM2D({ filters: 2, kernelSize: 3 });
    const x = seeded([1, 2, 4, 4, 1]);
    (l.call(x) as Tensor).dispose();
    const badC = seeded([1, 2, 4, 4, 2]);
    const small = seeded([1, 2, 2, 2, 1]);
    const badMask = tensor([true, true, true], [1, 3], 'bool');
    const badState = [seeded([1, 3, 3, 2]), seeded([1, 2, 2, 2])];
    const n = memory().numTensors;
    expect(() => l.call(badC)).toThrow(
      /ConvLSTM2D.*expected input \[batch, time, dim1, dim2, 1\], got shape \[1,2,4,4,2\]/,
    );
    expect(() => l.call(small)).toThrow(ShapeError);
    expect(() => l.call(small)).toThrow(/too small for kernelSize \[3, 3\]/);
    expect(() => l.call(x, { mask: badMask })).toThrow(/mask of shape \[1,3\] does not match/);
    expect(() => l.call(x, { initialState: badState })).toThrow(
      /initialState\[0\] has shape \[1,3,3,2\] but expected \[1,2,2,2\]/,
    );
    expect(() => l.call(x, { initial_state: badState } as never)).toThrow(ArgumentError);
    expect(memory().numTensors).toBe(n);
  });
});
