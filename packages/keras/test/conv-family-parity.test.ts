import { readFileSync } from 'node:fs';
import { memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Conv1D,
  Conv1DTranspose,
  Conv2D,
  Conv2DTranspose,
  DepthwiseConv2D,
  type Layer,
  Resizing,
  SeparableConv1D,
  SeparableConv2D,
  UpSampling2D,
} from '../src/index';
import { expectValues, useCpu } from './helpers';

/**
 * The convolution-family layers against PyTorch: fixtures/conv_family.py computes each
 * case's output with torch 1.13 from the same input and weights (moved between Keras'
 * and PyTorch's layouts there), with Keras' padding and output-length rules.
 */

useCpu();

interface Encoded {
  shape: number[];
  data: number[];
}

interface Case {
  layer: string;
  config: Record<string, unknown>;
  input: Encoded;
  weights: Record<string, Encoded>;
  output: Encoded;
}

const CASES = (
  JSON.parse(readFileSync(new URL('./fixtures/conv-family.json', import.meta.url), 'utf8')) as { cases: Case[] }
).cases;

const LAYERS: Record<string, new (config: never) => Layer> = {
  Conv2D,
  Conv1D,
  Conv2DTranspose,
  Conv1DTranspose,
  DepthwiseConv2D,
  SeparableConv2D,
  SeparableConv1D,
  UpSampling2D,
  Resizing,
};

/** The case's layer, built for its input, holding the fixture's weights (by Keras weight name). */
function layerFor(c: Case): Layer {
  const layer = new LAYERS[c.layer]({ ...c.config, inputShape: c.input.shape.slice(1) } as never);
  const weights = layer.namedWeights();
  expect(weights.map(([n, w]) => [n, [...w.shape]])).toEqual(Object.entries(c.weights).map(([n, w]) => [n, w.shape]));
  for (const [name, w] of weights) w.assign(tensor(c.weights[name].data, c.weights[name].shape));
  return layer;
}

describe('convolution-family layers match PyTorch (fixtures/conv_family.py)', () => {
  it('covers every layer', () => {
    expect(new Set(CASES.map((c) => c.layer))).toEqual(new Set(Object.keys(LAYERS)));
  });

  for (const [i, c] of CASES.entries()) {
    it(`${i}: ${c.layer} ${JSON.stringify(c.config)}`, () => {
      const layer = layerFor(c);
      const x = tensor(c.input.data, c.input.shape);
      const before = memory().numTensors;
      const y = layer.call(x);
      // The output and nothing else is left behind.
      expect(memory().numTensors).toBe(before + 1);
      expect(y.shape).toEqual(c.output.shape);
      expect(layer.computeOutputShape([null, ...c.input.shape.slice(1)])).toEqual([null, ...c.output.shape.slice(1)]);
      expectValues(y, c.output.data, { atol: 1e-5, rtol: 1e-5 }, `${c.layer} ${JSON.stringify(c.config)}`);
      y.dispose();
      x.dispose();
    });
  }
});
