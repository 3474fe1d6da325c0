import { ArgumentError, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  AvgPool2d,
  Conv2d,
  CrossEntropyLoss,
  MSELoss,
  MaxPool2d,
  crossEntropy,
  init,
  l1Loss,
  mseLoss,
} from '../src/index';
import { useCpu } from './helpers';

useCpu();

/**
 * nn's names (loss reductions, nonlinearities, fan modes, layouts, distributions,
 * data formats) are checked by comparison, never looked up in an object, so the
 * keys every object inherits are no valid names. These guard that.
 */
const INHERITED = ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf'];

describe.each(INHERITED)('%j is no valid name', (bad) => {
  it('as a loss reduction, in the functions and the modules (rejected before any work)', () => {
    const x = tensor([1, 2]);
    const y = tensor([1, 0]);
    const logits = tensor([[1, 2]]);
    const labels = tensor([0], [1], 'int32');
    const before = memory().numTensors;
    expect(() => mseLoss(x, y, { reduction: bad as never })).toThrow(
      new RegExp(`mseLoss: reduction must be 'mean', 'sum' or 'none', got "${bad}"`),
    );
    expect(() => l1Loss(x, y, { reduction: bad as never })).toThrow(ArgumentError);
    expect(() => crossEntropy(logits, labels, { reduction: bad as never })).toThrow(/crossEntropy: reduction must be/);
    expect(() => new MSELoss({ reduction: bad as never })).toThrow(/MSELoss: reduction must be/);
    expect(() => new CrossEntropyLoss({ reduction: bad as never })).toThrow(ArgumentError);
    expect(memory().numTensors).toBe(before);
  });

  it('as a nonlinearity, fan mode, layout or distribution of the initializers', () => {
    expect(() => init.calculateGain(bad as never)).toThrow(new RegExp(`calculateGain: unknown nonlinearity "${bad}"`));
    expect(() => init.kaimingUniform([2, 3], { nonlinearity: bad as never })).toThrow(/unknown nonlinearity/);
    expect(() => init.kaimingNormal([2, 3], { mode: bad as never })).toThrow(/mode must be 'fanIn' or 'fanOut'/);
    expect(() => init.varianceScaling([2, 3], { mode: bad as never })).toThrow(
      /mode must be 'fanIn', 'fanOut' or 'fanAvg'/,
    );
    expect(() => init.varianceScaling([2, 3], { distribution: bad as never })).toThrow(/distribution must be/);
    expect(() => init.computeFans([2, 3], bad as never)).toThrow(/computeFans: layout must be 'outIn' or 'inOut'/);
    expect(() => init.glorotUniform([2, 3], { layout: bad as never })).toThrow(ArgumentError);
  });

  it('as a data format of the convolution and pooling layers', () => {
    expect(() => new Conv2d(1, 1, 1, { dataFormat: bad as never })).toThrow(
      /Conv2d: dataFormat must be 'NCHW' or 'NHWC'/,
    );
    expect(() => new MaxPool2d(2, { dataFormat: bad as never })).toThrow(/MaxPool2d: dataFormat must be/);
    expect(() => new AvgPool2d(2, { dataFormat: bad as never })).toThrow(ArgumentError);
  });
});
