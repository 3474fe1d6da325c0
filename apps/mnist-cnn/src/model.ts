import { Conv2D, Dense, Flatten, MaxPooling2D, Sequential } from '@tsdl/keras';

/**
 * The Keras "simple MNIST convnet" layers: two conv/pool stages, then a dense classifier.
 * The one definition of this model: the playground and the benchmark import it from here
 * (`@tsdl/app-mnist-cnn/model`), so they train what this app trains.
 */
export function buildCnn(): Sequential {
  return new Sequential([
    new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
    new MaxPooling2D({ poolSize: 2 }),
    new Conv2D({ filters: 64, kernelSize: 3, activation: 'relu' }),
    new MaxPooling2D({ poolSize: 2 }),
    new Flatten(),
    new Dense({ units: 128, activation: 'relu' }),
    new Dense({ units: 10, activation: 'softmax' }),
  ]);
}
