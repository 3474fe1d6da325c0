import { gradCheck, seededAwayFrom } from '@tsdl/test-utils';
import { ArgumentError, ShapeError, type Tensor, memory, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { ELU, LeakyReLU, PReLU, Permute, ReLU, Softmax, ThresholdedReLU } from '../src/index';
import { expectValues, flat, thrown, useCpu } from './helpers';

useCpu();

const X = [-3, -1, 0, 2];

/** Keras' relu formula in float64: min(x, max) above the threshold, slope · (x − threshold) at or below it. */
function refRelu(x: number[], max: number | null, slope: number, t: number): number[] {
  return x.map((v) => (v > t ? (max === null ? v : Math.min(v, max)) : slope * (v - t)));
}

describe('ReLU', () => {
  it("gives the Keras docs' values for each option", () => {
    const x = tensor(X);
    expectValues(new ReLU().call(x), [0, 0, 0, 2]);
    expectValues(new ReLU({ maxValue: 1 }).call(x), [0, 0, 0, 1]);
    expectValues(new ReLU({ negativeSlope: 1 }).call(x), [-3, -1, 0, 2]);
    expectValues(new ReLU({ threshold: 1.5 }).call(x), [0, 0, 0, 2]);
  });

  it('combines maxValue, negativeSlope and threshold as keras.activations.relu', () => {
    const xs = [-2, -0.5, 0, 0.5, 0.7, 3, 7];
    expectValues(
      new ReLU({ maxValue: 6, negativeSlope: 0.1, threshold: 0.5 }).call(tensor(xs)),
      [-0.25, -0.1, -0.05, 0, 0.7, 3, 6],
    );
    expectValues(
      new ReLU({ maxValue: 6, negativeSlope: 0.1, threshold: 0.5 }).call(tensor(xs)),
      refRelu(xs, 6, 0.1, 0.5),
    );
    expectValues(new ReLU({ negativeSlope: 0.2 }).call(tensor(xs)), refRelu(xs, null, 0.2, 0));
    expectValues(new ReLU({ maxValue: 0.6 }).call(tensor(xs)), refRelu(xs, 0.6, 0, 0));
  });

  it('gradients match finite differences (inputs away from the kinks)', async () => {
    const x = tensor(seededAwayFrom(12, 3, [0.5, 1.5], 0.05, -3, 3), [3, 4]);
    await gradCheck((t) => new ReLU({ maxValue: 1.5, negativeSlope: 0.2, threshold: 0.5 }).call(t), [x]);
  });

  it('accepts snake_case names and rejects bad and unknown options, naming the layer', async () => {
    const r = new ReLU({ max_value: 6, negative_slope: 0.1 } as never);
    expect(r.getConfig()).toMatchObject({ maxValue: 6, negativeSlope: 0.1, threshold: 0 });
    expect(() => new ReLU({ maxValue: -1, name: 'r1' })).toThrow(
      /r1 \(ReLU\): maxValue must be a finite number >= 0, got -1/,
    );
    expect(() => new ReLU({ negativeSlope: -0.1 })).toThrow(/negativeSlope must be a finite number >= 0/);
    expect(() => new ReLU({ threshold: Number.NaN })).toThrow(/threshold must be/);
    const e = await thrown(() => new ReLU({ maxvalue: 6 } as never));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/ReLU: unknown option 'maxvalue'.*known: .*maxValue, negativeSlope, threshold\)/);
  });
});

describe('LeakyReLU', () => {
  it("defaults to Keras 3's slope 0.3 and takes Keras 2's alpha as its older name", () => {
    expectValues(new LeakyReLU().call(tensor(X)), [-0.9, -0.3, 0, 2]);
    expectValues(new LeakyReLU({ negativeSlope: 0.1 }).call(tensor(X)), [-0.3, -0.1, 0, 2]);
    const old = new LeakyReLU({ alpha: 0.05 });
    expectValues(old.call(tensor(X)), [-0.15, -0.05, 0, 2]);
    // Saved under the Keras 3 name only.
    expect(old.getConfig()).toMatchObject({ negativeSlope: 0.05 });
    expect(old.getConfig()).not.toHaveProperty('alpha');
    expect(() => new LeakyReLU({ alpha: 0.1, negativeSlope: 0.2 })).toThrow(
      /give negativeSlope or its older name alpha, not both/,
    );
    expect(() => new LeakyReLU({ negative_slope: -1 } as never)).toThrow(
      /negativeSlope must be a finite number >= 0, got -1/,
    );
  });
});

describe('ELU and ThresholdedReLU', () => {
  it('ELU is alpha · (exp(x) − 1) below 0 and x above, alpha saved', () => {
    const xs = [-2, -1, 0, 0.5, 2];
    const ref = (alpha: number) => xs.map((v) => (v > 0 ? v : alpha * Math.expm1(v)));
    expectValues(new ELU().call(tensor(xs)), ref(1));
    const e = new ELU({ alpha: 0.5 });
    expectValues(e.call(tensor(xs)), ref(0.5));
    expect(e.getConfig()).toMatchObject({ alpha: 0.5 });
  });

  it('ThresholdedReLU keeps x only above theta (default 1)', async () => {
    expectValues(new ThresholdedReLU().call(tensor([-1, 0.5, 1, 1.5, 3])), [0, 0, 0, 1.5, 3]);
    expectValues(new ThresholdedReLU({ theta: 0 }).call(tensor([-1, 0, 0.25])), [0, 0, 0.25]);
    expect(() => new ThresholdedReLU({ theta: -0.5 })).toThrow(/theta must be a finite number >= 0/);
    const x = tensor(seededAwayFrom(8, 5, [1], 0.05, -3, 3), [2, 4]);
    await gradCheck((t) => new ThresholdedReLU().call(t), [x]);
  });
});

describe('Softmax', () => {
  const rows = [
    [1, 2, 3],
    [0, -1, 4],
  ];
  const softmaxRef = (r: number[]) => {
    const m = Math.max(...r);
    const e = r.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };

  it('normalises over the last axis by default, or any axis', () => {
    expectValues(new Softmax().call(tensor(rows)), rows.flatMap(softmaxRef));
    const cols = new Softmax({ axis: 0 }).call(tensor(rows));
    const c = [0, 1, 2].map((j) => softmaxRef([rows[0][j], rows[1][j]]));
    expectValues(cols, [c[0][0], c[1][0], c[2][0], c[0][1], c[1][1], c[2][1]]);
  });

  it('normalises over several axes together', () => {
    const x = tensor([rows, rows.map((r) => r.map((v) => v * 2))]);
    const y = new Softmax({ axis: [1, 2] }).call(x);
    const ref = [...softmaxRef(rows.flat()), ...softmaxRef(rows.flat().map((v) => v * 2))];
    expectValues(y, ref);
  });

  it('gives masked positions probability 0, a fully masked row all zeros, as Keras', () => {
    const s = new Softmax();
    const mask = tensor([
      [true, true, false],
      [false, false, false],
    ]);
    const y = s.call(tensor(rows), { mask });
    expectValues(y, [...softmaxRef([1, 2]), 0, 0, 0, 0]);
    // A numeric mask is true above 0.5; a [3] mask broadcasts over the rows.
    expectValues(s.call(tensor(rows), { mask: tensor([1, 0, 1]) }), [
      ...[softmaxRef([1, 3])].flatMap(([a, b]) => [a, 0, b]),
      ...[softmaxRef([0, 4])].flatMap(([a, b]) => [a, 0, b]),
    ]);
  });

  it('a mask that does not broadcast, or an axis out of range, is a ShapeError naming the layer and shapes, with nothing leaked', async () => {
    const s = new Softmax({ name: 'sm' });
    const x = tensor(rows);
    const mask = tensor([[true, false]]);
    const before = memory().numTensors;
    const e = await thrown(() => s.call(x, { mask }));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(
      /sm \(Softmax\): the mask of shape \[1,2\] does not broadcast against the input of shape \[2,3\]/,
    );
    expect(() => new Softmax({ axis: 2 }).call(x)).toThrow(/axis 2 is out of range for input of shape \[2,3\]/);
    expect(memory().numTensors).toBe(before);
    expect(() => new Softmax({ axis: [1, 1] })).toThrow(
      /axis must be an integer or a non-empty list of distinct integers/,
    );
    expect(() => new Softmax({ axis: 0.5 })).toThrow(/axis must be an integer, got 0.5/);
  });
});

describe('masks', () => {
  it('activation layers pass a padding mask through; a layer without mask support refuses it', () => {
    const x = tensor([[[1], [-2], [0]]]);
    const mask = tensor([[true, true, false]]);
    for (const l of [new ReLU(), new LeakyReLU(), new ELU(), new ThresholdedReLU(), new PReLU()]) {
      const { mask: out } = l.callMasked(x, mask);
      expect(out).toBe(mask);
      expect(l.outputMasked(true)).toBe(true);
    }
    expect(() => new Permute({ dims: [2, 1], name: 'perm' }).outputMasked(true)).toThrow(
      /perm \(Permute\) does not support masking/,
    );
  });
});

describe('PReLU', () => {
  it("starts as ReLU (Keras' zeros initializer) with one alpha per input position", () => {
    const p = new PReLU();
    expectValues(p.call(tensor([[-3, -1, 0, 2]])), [0, 0, 0, 2]);
    expect(p.alpha.shape).toEqual([4]);
    expect(p.parameters()).toEqual([p.alpha]);
  });

  it('computes x above 0 and alpha · x below it, alpha broadcast over sharedAxes', () => {
    const p = new PReLU({ sharedAxes: [1, 2], inputShape: [2, 2, 3] });
    expect(p.alpha.shape).toEqual([1, 1, 3]);
    tidy(() => p.alpha.assign(tensor([0.1, 0.2, 0.3], [1, 1, 3])));
    const xs = [-1, -2, 3, 4, -5, -6, -7, 8, -9, 10, 11, -12];
    const alpha = [0.1, 0.2, 0.3];
    expectValues(
      p.call(tensor(xs, [1, 2, 2, 3])),
      xs.map((v, i) => (v > 0 ? v : alpha[i % 3] * v)),
    );
    // A single shared axis may be given as a number.
    expect(new PReLU({ shared_axes: 1, inputShape: [4, 2] } as never).alpha.shape).toEqual([1, 2]);
  });

  it('gradients w.r.t. the input and alpha match finite differences', async () => {
    const p = new PReLU({ alphaInitializer: 'random_uniform', inputShape: [2, 3], sharedAxes: [1] });
    const x = tensor(seededAwayFrom(12, 9, [0], 0.05, -2, 2), [2, 2, 3]);
    await gradCheck(
      (t: Tensor, a: Tensor) => {
        const saved = p.alpha;
        p.alpha = a;
        try {
          return p.call(t);
        } finally {
          p.alpha = saved;
        }
      },
      [x, p.alpha],
    );
  });

  it('bad sharedAxes and unknown sizes are errors naming the layer and the shape', () => {
    expect(() => new PReLU({ sharedAxes: 0 })).toThrow(/sharedAxes must be an axis or a list of axes >= 1/);
    expect(() => new PReLU({ sharedAxes: [3], inputShape: [4, 2], name: 'p3' })).toThrow(
      /p3 \(PReLU\): sharedAxes \[3\] names axis 3, but the input shape \(None, 4, 2\) has axes 1 to 2/,
    );
    expect(() => new PReLU({ name: 'pu' }).build([null, null, 3])).toThrow(
      /pu \(PReLU\): axis 1 of input shape \(None, None, 3\) is unknown/,
    );
    expect(() => new PReLU({ alphaInitializer: 'nope' })).toThrow(/unknown initializer 'nope'/);
    const p = new PReLU({ inputShape: [3], name: 'p4' });
    expect(() => p.call(tensor([[1, 2]]))).toThrow(
      /p4 \(PReLU\): built for samples of shape \[3\] \(1 on shared axes\), got input of shape \[1,2\]/,
    );
    expect(new PReLU({ alpha_initializer: 'Zeros' } as never).getConfig()).toMatchObject({
      alphaInitializer: 'zeros',
      sharedAxes: null,
    });
  });
});

it('the outputs hold the values (not aliases of the inputs)', () => {
  const x = tensor([-1, 1]);
  expect(flat(new LeakyReLU().call(x))).toEqual([-0.30000001192092896, 1]);
});
