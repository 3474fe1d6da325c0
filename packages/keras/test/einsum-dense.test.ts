import { gradCheck } from '@tsdl/test-utils';
import { ShapeError, type Tensor, memory } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Dense,
  EinsumDense,
  Flatten,
  MultiHeadAttention,
  Sequential,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { expectValues, flat, seeded, thrown, useCpu } from './helpers';

useCpu();

/** A naive einsum over every letter's range: the reference the layer is checked against. */
function naive(eq: string, x: Tensor, k: Tensor): { data: number[]; shape: number[] } {
  const [ins, out] = eq.split('->');
  const [xs, ks] = ins.split(',');
  const size = new Map<string, number>();
  [...xs].forEach((c, i) => size.set(c, x.shape[i]));
  [...ks].forEach((c, i) => size.set(c, k.shape[i]));
  const letters = [...size.keys()];
  const shape = [...out].map((c) => size.get(c) as number);
  const data = new Array<number>(shape.reduce((p, d) => p * d, 1)).fill(0);
  const [xv, kv] = [flat(x), flat(k)];
  const at = (spec: string, dims: number[], v: Map<string, number>): number =>
    [...spec].reduce((p, c, i) => p * dims[i] + (v.get(c) as number), 0);
  const walk = (i: number, v: Map<string, number>): void => {
    if (i === letters.length) {
      data[at(out, shape, v)] += xv[at(xs, x.shape as number[], v)] * kv[at(ks, k.shape as number[], v)];
      return;
    }
    for (let n = 0; n < (size.get(letters[i]) as number); n++) walk(i + 1, new Map(v).set(letters[i], n));
  };
  walk(0, new Map());
  return { data, shape };
}

const CASES: {
  equation: string;
  outputShape: (number | null)[] | number;
  input: number[];
  kernel: number[];
  bias?: string;
  biasShape?: number[];
  expanded?: string;
}[] = [
  { equation: 'ab,bc->ac', outputShape: 4, input: [3, 5], kernel: [5, 4], bias: 'c', biasShape: [4] },
  { equation: 'abc,cd->abd', outputShape: [null, 4], input: [2, 3, 5], kernel: [5, 4], bias: 'd', biasShape: [4] },
  {
    equation: 'abc,cde->abde',
    outputShape: [null, 2, 3],
    input: [2, 3, 4],
    kernel: [4, 2, 3],
    bias: 'de',
    biasShape: [2, 3],
  },
  {
    equation: 'abc,cde->abde',
    outputShape: [3, 2, 3],
    input: [2, 3, 4],
    kernel: [4, 2, 3],
    bias: 'd',
    biasShape: [2, 1],
  },
  { equation: 'abcd,cde->abe', outputShape: [null, 2], input: [2, 3, 2, 4], kernel: [2, 4, 2] },
  { equation: 'abc,dc->abd', outputShape: [3, 6], input: [2, 3, 4], kernel: [6, 4], bias: 'b', biasShape: [3, 1] },
  {
    equation: '...b,bc->...c',
    outputShape: 4,
    input: [2, 3, 5],
    kernel: [5, 4],
    bias: 'c',
    biasShape: [4],
    expanded: 'deb,bc->dec',
  },
  {
    equation: 'ab...,bc->ac...',
    outputShape: [4],
    input: [2, 5, 3],
    kernel: [5, 4],
    bias: 'c',
    biasShape: [4, 1],
    expanded: 'abd,bc->acd',
  },
];

describe('EinsumDense', () => {
  for (const c of CASES) {
    it(`${c.equation} (bias ${c.bias ?? 'none'}): kernel and bias shapes as Keras, values as a naive einsum`, () => {
      const l = new EinsumDense({
        equation: c.equation,
        outputShape: c.outputShape,
        biasAxes: c.bias ?? null,
        biasInitializer: 'random_uniform',
        seed: 1,
      });
      const x = seeded(c.input, 2);
      const y = l.call(x);
      expect(l.namedWeights().map(([n, w]) => [n, [...w.shape]])).toEqual([
        ['kernel', c.kernel],
        ...(c.biasShape ? [['bias', c.biasShape]] : []),
      ]);
      const ref = naive(c.expanded ?? c.equation, x, l.kernel);
      expect(y.shape).toEqual(ref.shape);
      const b = l.bias ? flat(l.bias.add(seeded(ref.shape, 9).mul(0))) : null;
      expectValues(
        y,
        ref.data.map((v, i) => v + (b ? b[i] : 0)),
      );
      expect(l.computeOutputShape([null, ...c.input.slice(1)])).toEqual([null, ...ref.shape.slice(1)]);
    });
  }

  it('"ab,bc->ac" is Dense with the same kernel and bias', () => {
    const e = new EinsumDense({ equation: 'ab,bc->ac', outputShape: 3, biasAxes: 'c', activation: 'relu' });
    const d = new Dense({ units: 3, activation: 'relu' });
    const x = seeded([4, 5]);
    e.call(x);
    d.call(x);
    e.setWeights(d.getWeights());
    expect(flat(e.call(x))).toEqual(flat(d.call(x)));
  });

  it('matches MultiHeadAttention\'s query projection ("abc,cde->abde", bias "de")', () => {
    const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 3, seed: 1 });
    const x = seeded([2, 4, 5]);
    mha.call(x, x);
    const e = new EinsumDense({ equation: 'abc,cde->abde', outputShape: [null, 2, 3], biasAxes: 'de' });
    e.call(x);
    e.setWeights([mha.query?.kernel as Tensor, (mha.query?.bias as Tensor).add(0.5)]);
    const y = flat(e.call(x));
    // The projection before the head transpose: x·W + b per step.
    const q = flat(
      x
        .reshape([8, 5])
        .matmul((mha.query?.kernel as Tensor).reshape([5, 6]))
        .add((mha.query?.bias as Tensor).reshape([6]).add(0.5)),
    );
    expectValues(y, q);
  });

  it('gradients by finite differences (input, kernel, bias)', async () => {
    const l = new EinsumDense({ equation: 'abc,cde->abde', outputShape: [null, 2, 2], biasAxes: 'e' });
    const x = seeded([2, 2, 3], 3);
    l.call(x);
    await gradCheck(
      (v: Tensor, k: Tensor, b: Tensor) => {
        const [sk, sb] = [l.kernel, l.bias];
        [l.kernel, l.bias] = [k, b];
        try {
          return l.call(v);
        } finally {
          [l.kernel, l.bias] = [sk, sb];
        }
      },
      [x, l.kernel, seeded([2], 4)],
    );
  });

  it('errors name the layer, the equation and the shapes; nothing leaks', async () => {
    expect(() => new EinsumDense({ equation: 'ab,bc', outputShape: 3 })).toThrow(
      /equation 'ab,bc' is not of a form EinsumDense takes/,
    );
    expect(() => new EinsumDense({ equation: 'ab,bc->ac', outputShape: 3, biasAxes: 'x' })).toThrow(
      /bias axis 'x' is not part of the output spec 'ac'/,
    );
    expect(() => new EinsumDense({ equation: 'ab,bcd->ac', outputShape: 3, inputShape: [4] })).toThrow(
      /kernel axis 'd' is in neither the input spec 'ab' nor the output spec 'ac'/,
    );
    expect(() => new EinsumDense({ equation: 'abc,cd->abd', outputShape: [5, 2], inputShape: [3, 4] })).toThrow(
      /output axis 'b' has size 5 in outputShape but 3 in input shape \(None, 3, 4\)/,
    );
    expect(() => new EinsumDense({ equation: 'abc,cd->abd', outputShape: 2, inputShape: [4] })).toThrow(
      /input shape \(None, 4\) has 2 axes, but the equation's input 'abc' names 3/,
    );
    const l = new EinsumDense({ equation: 'abc,cd->abd', outputShape: [null, 2], name: 'ed' });
    l.call(seeded([1, 2, 3]));
    const x = seeded([1, 2, 4]);
    const before = memory().numTensors;
    const e = await thrown(() => l.call(x));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(
      /ed \(EinsumDense\): was built for a kernel of shape \[3,2\], but an input of shape \[1,2,4\] needs \[4,2\]/,
    );
    expect(memory().numTensors).toBe(before);
  });

  it('saves and loads with equal predictions', async () => {
    const m = new Sequential([
      new EinsumDense({
        equation: 'abc,cde->abde',
        outputShape: [3, 2, 4],
        biasAxes: 'de',
        activation: 'tanh',
        inputShape: [3, 5],
        biasInitializer: 'random_normal',
      }),
      new Flatten(),
      new Dense({ units: 2, seed: 2 }),
    ]);
    const x = seeded([2, 3, 5]);
    const back = await modelFromArtifacts(await modelToArtifacts(m));
    expect(back.layers[0].getConfig()).toEqual(m.layers[0].getConfig());
    expect(flat(back.predict(x))).toEqual(flat(m.predict(x)));
  });
});
