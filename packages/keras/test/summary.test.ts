import { describe, expect, it } from 'vitest';
import {
  BatchNormalization,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  Input,
  MaxPooling2D,
  Sequential,
  model,
} from '../src/index';
import { useCpu } from './helpers';

useCpu();

describe('summary', () => {
  it('prints the Keras table for the MNIST MLP: 101,770 parameters', () => {
    const m = new Sequential({
      name: 'sequential',
      layers: [
        new Flatten({ inputShape: [28, 28], name: 'flatten' }),
        new Dense({ units: 128, activation: 'relu', name: 'dense' }),
        new Dropout({ rate: 0.2, name: 'dropout' }),
        new Dense({ units: 10, activation: 'softmax', name: 'dense_1' }),
      ],
    });
    const printed: string[] = [];
    const text = m.summary((l) => printed.push(l));
    expect(printed).toEqual([text]);
    // Keras 2's layout: 65 columns, column stops at 29 and 55, only the first column indented.
    expect(text).toBe(
      [
        'Model: "sequential"',
        '_________________________________________________________________',
        ' Layer (type)                Output Shape              Param #',
        '=================================================================',
        ' flatten (Flatten)           (None, 784)               0',
        '',
        ' dense (Dense)               (None, 128)               100480',
        '',
        ' dropout (Dropout)           (None, 128)               0',
        '',
        ' dense_1 (Dense)             (None, 10)                1290',
        '=================================================================',
        'Total params: 101,770',
        'Trainable params: 101,770',
        'Non-trainable params: 0',
        '_________________________________________________________________',
      ].join('\n'),
    );
  });

  it('counts BatchNormalization moving statistics as non-trainable', () => {
    const m = new Sequential([
      new Dense({ units: 64, inputShape: [32] }),
      new BatchNormalization({ name: 'batch_normalization' }),
      new Dense({ units: 10 }),
    ]);
    const text = m.summary(false);
    // 32·64 + 64 = 2112; BN: 4 · 64 = 256 (gamma, beta trainable; moving mean, variance not); 64·10 + 10 = 650.
    // A name longer than its column wraps onto the next line, as in Keras (which shifts that row's shape by one).
    expect(text).toContain(' batch_normalization (BatchN  (None, 64)               256\n ormalization)\n');
    expect(text).toContain('Total params: 3,018\nTrainable params: 2,890\nNon-trainable params: 128\n');
  });

  it('shows convolution and pooling output shapes', () => {
    const m = new Sequential([
      new Conv2D({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1], name: 'conv' }),
      new MaxPooling2D({ name: 'pool' }),
      new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', strides: 2, name: 'conv_s2' }),
      new Flatten({ name: 'flat' }),
      new Dense({ units: 10, name: 'out' }),
    ]);
    const rows = m
      .summary(false)
      .split('\n')
      .filter((l) => /^ \w+ \(/.test(l) && !l.startsWith(' Layer'));
    expect(rows).toEqual([
      ' conv (Conv2D)               (None, 26, 26, 8)         80',
      ' pool (MaxPooling2D)         (None, 13, 13, 8)         0',
      ' conv_s2 (Conv2D)            (None, 7, 7, 4)           292',
      ' flat (Flatten)              (None, 196)               0',
      ' out (Dense)                 (None, 10)                1970',
    ]);
    expect(m.summary(false)).toContain('Total params: 2,342\n');
  });

  it('lists the input layer of a functional model', () => {
    const x = Input({ shape: [4], name: 'features' });
    const h = new Dense({ units: 3, name: 'hidden' }).apply(x);
    const f = model({ inputs: x, outputs: new Dense({ units: 1, name: 'score' }).apply(h), name: 'scorer' });
    expect(f.summary(false).split('\n').slice(0, 9)).toEqual([
      'Model: "scorer"',
      '_________________________________________________________________',
      ' Layer (type)                Output Shape              Param #',
      '=================================================================',
      ' features (InputLayer)       (None, 4)                 0',
      '',
      ' hidden (Dense)              (None, 3)                 15',
      '',
      ' score (Dense)               (None, 1)                 4',
    ]);
  });

  it('an unbuilt model says how to build it', () => {
    expect(() => new Sequential([new Dense({ units: 2 })]).summary(false)).toThrow(
      /not built yet; give the first layer an inputShape/,
    );
  });
});
