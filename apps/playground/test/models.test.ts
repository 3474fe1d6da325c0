import '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { Dense, Flatten, Sequential, modelFromArtifacts, modelToArtifacts } from '@tsdl/keras';
import { setBackend } from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, countParameters, inputShapeOf, recognise } from '../src/worker/models';

beforeAll(() => {
  setBackend(cpu());
});

describe('the playground models', () => {
  it('are the MLP and the CNN with their known weight counts', () => {
    const mlp = buildModel('mlp');
    const cnn = buildModel('cnn');
    // 784·128 + 128 + 128·10 + 10; and 320 + 18,496 + 1600·128 + 128 + 1,290.
    expect(countParameters(mlp)).toBe(101_770);
    expect(countParameters(cnn)).toBe(225_034);
    expect([recognise(mlp), recognise(cnn)]).toEqual(['mlp', 'cnn']);
    mlp.dispose();
    cnn.dispose();
  });

  it('read the input shape from a saved config, ours or one saved for 28×28 inputs', async () => {
    const ours = await modelToArtifacts(buildModel('mlp'));
    expect(inputShapeOf(ours.config)).toEqual([28, 28, 1]);
    // The shape apps/mnist-mlp builds: Flatten over [28, 28].
    const flat = new Sequential([
      new Flatten({ inputShape: [28, 28] }),
      new Dense({ units: 10, activation: 'softmax' }),
    ]);
    const saved = await modelToArtifacts(flat);
    expect(inputShapeOf(saved.config)).toEqual([28, 28]);
    const loaded = modelFromArtifacts(saved);
    expect(recognise(loaded)).toBe('custom');
    expect(countParameters(loaded)).toBe(7850);
  });

  it('refuse a model that does not take 784 values per sample', async () => {
    const other = await modelToArtifacts(new Sequential([new Dense({ units: 2, inputShape: [10] })]));
    expect(() => inputShapeOf(other.config)).toThrow('this model takes inputs of shape [10], not 28×28 images');
  });
});
