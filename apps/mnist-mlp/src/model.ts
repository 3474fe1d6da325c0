import { Dense, Dropout, Flatten, Sequential } from '@tsdl/keras';

/**
 * The classic Keras MNIST model: Flatten, Dense 128 relu, Dropout 0.2, Dense 10 softmax.
 * The one definition of this model: the playground and the benchmark import it from here
 * (`@tsdl/app-mnist-mlp/model`). `inputShape` is one image's shape: [28, 28] here and in the
 * benchmark, [28, 28, 1] in the playground, which feeds both of its models channels-last images.
 */
export function buildMlp(inputShape: number[] = [28, 28]): Sequential {
  return new Sequential([
    new Flatten({ inputShape }),
    new Dense({ units: 128, activation: 'relu' }),
    new Dropout({ rate: 0.2 }),
    new Dense({ units: 10, activation: 'softmax' }),
  ]);
}
