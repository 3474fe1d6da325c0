import { ArgumentError, DTypeError, DataFormatError, arange, cast, eye, memory, tensor, zeros } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Activation,
  Conv2D,
  Dense,
  Embedding,
  Layer,
  Sequential,
  modelFromArtifacts,
  modelToArtifacts,
  optimizers,
  registerLayer,
  resolveLoss,
  resolveMetric,
} from '../src/index';
import { layerFromConfig } from '../src/layers/registry';
import { expectValues, useCpu } from './helpers';

useCpu();

/** Names every plain object answers for: a registry built on one would "find" them. */
const INHERITED = ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf'];

/** Runs `fn`, which must throw; returns the error. */
function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

/** The error must be `cls` (and no TypeError), say what is unknown and list valid names. */
function expectUnknown(
  fn: () => unknown,
  cls: typeof ArgumentError | typeof DataFormatError,
  what: RegExp,
  known: string,
): Error {
  const e = caught(fn);
  expect(e, e.message).toBeInstanceOf(cls);
  expect(e.message).toMatch(what);
  expect(e.message).toContain(known);
  return e;
}

const linearUnit = () => new Sequential([new Dense({ units: 1, inputShape: [2] })]);

describe.each(INHERITED)('an inherited object key %j is no name in any registry', (bad) => {
  it('activations: from constructors (ArgumentError) and from a loaded config (DataFormatError)', () => {
    const before = memory().numTensors;
    expectUnknown(
      () => new Dense({ units: 2, activation: bad }),
      ArgumentError,
      /Dense\): unknown activation/,
      'known: linear, relu, sigmoid',
    );
    expectUnknown(() => new Activation(bad), ArgumentError, /Activation\): unknown activation/, 'leaky_relu');
    expectUnknown(() => new Activation({ activation: bad }), ArgumentError, /unknown activation/, 'softmax');
    expectUnknown(
      () => new Conv2D({ filters: 1, kernelSize: 1, activation: bad }),
      ArgumentError,
      /Conv2D\): unknown activation/,
      'gelu',
    );
    // With an inputShape the layer would build: the name is rejected before any weight is made.
    expectUnknown(
      () => new Dense({ units: 2, inputShape: [3], activation: bad }),
      ArgumentError,
      /unknown activation/,
      'relu',
    );
    const e = expectUnknown(
      () => layerFromConfig({ className: 'Dense', config: { name: 'd', units: 2, activation: bad } }),
      DataFormatError,
      /config of Dense layer 'd' is invalid: .*unknown activation/,
      'known: linear, relu',
    );
    expect(e.cause).toBeInstanceOf(ArgumentError);
    expectUnknown(
      () => layerFromConfig({ className: 'Activation', config: { activation: bad } }),
      DataFormatError,
      /unknown activation/,
      'tanh',
    );
    expect(memory().numTensors).toBe(before);
  });

  it('initializers: from constructors and from a loaded config', () => {
    const before = memory().numTensors;
    expectUnknown(
      () => new Dense({ units: 2, kernelInitializer: bad }),
      ArgumentError,
      /unknown initializer .* for kernelInitializer/,
      'known: zeros, ones, glorot_uniform',
    );
    expectUnknown(
      () => new Dense({ units: 2, biasInitializer: bad, inputShape: [2] }),
      ArgumentError,
      /for biasInitializer/,
      'he_normal',
    );
    expectUnknown(
      () => new Conv2D({ filters: 1, kernelSize: 1, kernelInitializer: bad }),
      ArgumentError,
      /for kernelInitializer/,
      'orthogonal',
    );
    expectUnknown(
      () => new Embedding({ inputDim: 3, outputDim: 2, embeddingsInitializer: bad }),
      ArgumentError,
      /for embeddingsInitializer/,
      'random_uniform',
    );
    expectUnknown(
      () =>
        layerFromConfig({
          className: 'Embedding',
          config: { inputDim: 3, outputDim: 2, embeddingsInitializer: bad, inputShape: [4] },
        }),
      DataFormatError,
      /config of Embedding layer is invalid: .*unknown initializer/,
      'lecun_normal',
    );
    expect(memory().numTensors).toBe(before);
  });

  it('layer classes: a loaded config naming one is a DataFormatError listing the known classes', () => {
    expectUnknown(
      () => layerFromConfig({ className: bad, config: {} }),
      DataFormatError,
      /unknown layer class/,
      'known: InputLayer, Dense, Flatten',
    );
  });

  it('optimizers: by name, by { className }, and as an option name', () => {
    const m = linearUnit();
    expectUnknown(
      () => m.compile({ optimizer: bad, loss: 'mse' }),
      ArgumentError,
      /compile: unknown optimizer/,
      'known: adam, adamw, sgd, rmsprop, adagrad',
    );
    expectUnknown(
      () => m.compile({ optimizer: { className: bad }, loss: 'mse' }),
      ArgumentError,
      /unknown optimizer .* for optimizer.className/,
      'adagrad',
    );
    // As an option of a known optimizer ('constructor' or 'toString' used to pass an `in` check).
    const json = JSON.parse(`{"${bad}": 0.5}`) as Record<string, number>;
    expectUnknown(
      () => optimizers.Adam(json),
      ArgumentError,
      /Adam: unknown option/,
      'known: learningRate, beta1, beta2, epsilon, amsgrad',
    );
    expectUnknown(
      () => m.compile({ optimizer: { className: 'SGD', config: json }, loss: 'mse' }),
      ArgumentError,
      /SGD: unknown option/,
      'momentum',
    );
  });

  it('losses and metrics', () => {
    const m = linearUnit();
    expectUnknown(
      () => m.compile({ optimizer: 'sgd', loss: bad }),
      ArgumentError,
      /compile: unknown loss/,
      'known: sparse_categorical_crossentropy',
    );
    expectUnknown(() => resolveLoss(bad), ArgumentError, /unknown loss/, 'mse, mae');
    expectUnknown(
      () => resolveMetric(bad, 'mean_squared_error', [null, 1]),
      ArgumentError,
      /compile: unknown metric/,
      'known: accuracy, acc, sparse_categorical_accuracy',
    );
  });

  it('dtypes: tensor creation and cast (rejected before allocating)', () => {
    const x = tensor([1, 2]);
    const before = memory().numTensors;
    for (const make of [
      () => tensor([1], [1], bad as never),
      () => zeros([2], bad as never),
      () => cast(x, bad as never),
      () => arange(0, 3, 1, bad as never),
      () => eye(2, 2, bad as never),
    ]) {
      const e = caught(make);
      expect(e, e.message).toBeInstanceOf(DTypeError);
      expect(e.message).toContain(`unknown dtype "${bad}"; expected one of float32, int32, bool`);
    }
    expect(memory().numTensors).toBe(before);
  });

  it('layer options: an unknown option, in a constructor or a loaded config', () => {
    expectUnknown(
      () => new Dense(JSON.parse(`{"units": 2, "${bad}": 1}`)),
      ArgumentError,
      /Dense: unknown option/,
      'known: name, inputShape, inputDim, trainable, units',
    );
    expectUnknown(
      () =>
        layerFromConfig({ className: 'Conv2D', config: JSON.parse(`{"filters": 1, "kernel_size": 1, "${bad}": 1}`) }),
      DataFormatError,
      /Conv2D: unknown option/,
      'dilationRate',
    );
  });
});

describe('registries', () => {
  it("'constructor' is no longer the identity activation (a model config that used it fails to load)", async () => {
    const m = new Sequential([new Dense({ units: 1, inputShape: [2], activation: 'relu', kernelInitializer: 'ones' })]);
    const a = await modelToArtifacts(m);
    const config = JSON.parse(JSON.stringify(a.config));
    config.config.layers[0].config.activation = 'constructor';
    const e = caught(() => modelFromArtifacts({ ...a, config }, 'saved'));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toMatch(/unknown activation 'constructor'/);
    // The untouched config still loads and computes relu(x · 1).
    const back = modelFromArtifacts(a, 'saved');
    expectValues(back.predict(tensor([[1, -3]])) as never, [0]);
  });

  it("a '__proto__' key in a loaded layer config stays a key (rejected), it does not become the options' prototype", () => {
    // JSON.parse makes '__proto__' an own key; copied into an ordinary object it would set the prototype and supply units.
    const config = JSON.parse('{"__proto__": {"units": 3}}');
    const e = caught(() => layerFromConfig({ className: 'Dense', config }));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toMatch(/Dense: unknown option '__proto__'/);
    expect(() => optimizers.SGD(JSON.parse('{"__proto__": {"learningRate": 5}}'))).toThrow(
      /SGD: unknown option '__proto__'/,
    );
  });

  it('known names still resolve in every spelling, and registered custom layers load', () => {
    expect(new Dense({ units: 1, activation: 'leakyRelu', kernelInitializer: 'heNormal' }).activation).toBe(
      'leaky_relu',
    );
    expect(resolveLoss('MSE' as never).name).toBe('mean_squared_error');
    expect(resolveLoss('meanAbsoluteError').name).toBe('mean_absolute_error');
    expect(resolveMetric('mae', 'mean_squared_error', [null, 1]).name).toBe('mae');
    expect(optimizers.SGD({ learning_rate: 0.5, momentum: null as never }).config).toEqual({
      learningRate: 0.5,
      momentum: 0,
      nesterov: false,
    });

    class Twice extends Layer {
      override get className(): string {
        return 'Twice';
      }
      override forward(x: never) {
        return (x as ReturnType<typeof tensor>).mul(2);
      }
    }
    // Any string is a valid registered name, inherited object keys included: the table is a Map.
    registerLayer('constructor', Twice);
    const layer = layerFromConfig({ className: 'constructor', config: { name: 'twice' } });
    expect(layer).toBeInstanceOf(Twice);
    expect(layerFromConfig({ className: 'Dense', config: { units: 2 } })).toBeInstanceOf(Dense);
    expect(() => registerLayer('', Twice)).toThrow(ArgumentError);
    expect(() => registerLayer('X', 'Dense' as never)).toThrow(
      /registerLayer: 'X' must be registered with a layer class/,
    );
  });

  it('names and option values of the wrong type are ArgumentErrors naming the option, not TypeErrors', () => {
    expect(() => new Dense({ units: 2, activation: 3 as never })).toThrow(/Dense\): activation must be a name, got 3/);
    expect(() => new Dense({ units: 2, kernelInitializer: { className: 'GlorotUniform' } as never })).toThrow(
      /kernelInitializer must be a name, got \{"className":"GlorotUniform"\}/,
    );
    expect(() => linearUnit().compile({ optimizer: 'sgd', loss: 'mse', metrics: [7 as never] })).toThrow(
      /compile: metric must be a name, got 7/,
    );
    expect(() => linearUnit().compile({ optimizer: null as never, loss: 'mse' })).toThrow(ArgumentError);
    expect(() => optimizers.Adam({ learningRate: '0.1' as never })).toThrow(
      /Adam: learningRate must be a finite number, got '0.1'/,
    );
    expect(() => optimizers.SGD({ nesterov: 1 })).toThrow(/SGD: nesterov must be a boolean, got 1/);
    expect(() => optimizers.Adam({ learning_rate: 0.1, learningRate: 0.2 })).toThrow(
      /Adam: option 'learningRate' is given twice/,
    );
    expect(() => layerFromConfig({ className: 'Dense', config: null as never })).toThrow(DataFormatError);
    expect(() => layerFromConfig(null as never)).toThrow(DataFormatError);
  });
});
