/**
 * MelSpectrogram against a numpy replay of Keras 3's computation (np.fft.rfft, reflect
 * padding, TensorFlow's mel matrix: fixtures/mel_spectrogram.py), gradients, config and
 * save/load round trips, errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, DTypeError, ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Dense, Flatten, MelSpectrogram, Sequential, modelFromArtifacts, modelToArtifacts } from '../src/index';
import { layerFromConfig } from '../src/layers/registry';
import { expectValues, flat, seeded, thrown, useCpu } from './helpers';

useCpu();

interface Arr {
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'mel-spectrogram.json'), 'utf8')) as {
  cases: { config: Record<string, unknown>; input: Arr; output: Arr }[];
};

describe('MelSpectrogram: known values (numpy, fixtures/mel_spectrogram.py)', () => {
  fixture.cases.forEach((c, i) => {
    it(`${JSON.stringify(c.config)} on [${c.input.shape.join(', ')}] #${i}`, () => {
      const l = new MelSpectrogram(c.config as never);
      const y = l.call(tensor(c.input.data, c.input.shape)) as Tensor;
      expect(y.shape).toEqual(c.output.shape);
      expect(l.computeOutputShape(c.input.shape.length === 2 ? [null, c.input.shape[1]] : [c.input.shape[0]])).toEqual(
        c.input.shape.length === 2 ? [null, ...c.output.shape.slice(1)] : c.output.shape,
      );
      expectValues(y, c.output.data, { atol: 2e-3, rtol: 5e-4 });
    });
  });
});

describe('MelSpectrogram', () => {
  it('Keras defaults; the config round-trips (snake_case accepted, through the registry)', () => {
    const d = new MelSpectrogram();
    expect(d.getConfig()).toMatchObject({
      fftLength: 2048,
      sequenceStride: 512,
      sequenceLength: 2048,
      window: 'hann',
      samplingRate: 16000,
      numMelBins: 128,
      minFreq: 20,
      maxFreq: 8000,
      powerToDb: true,
      topDb: 80,
      magExp: 2,
      minPower: 1e-10,
      refPower: 1,
    });
    const l = new MelSpectrogram({
      fft_length: 32,
      sequence_stride: 8,
      num_mel_bins: 5,
      window: null,
      power_to_db: false,
    } as never);
    const c = l.getConfig();
    expect(layerFromConfig({ className: 'MelSpectrogram', config: c }).getConfig()).toEqual(c);
    expect(l.computeOutputShape([null, 100])).toEqual([null, 5, 13]);
  });

  it('gradients w.r.t. the audio match finite differences', async () => {
    const l = new MelSpectrogram({
      fftLength: 8,
      sequenceStride: 4,
      samplingRate: 800,
      numMelBins: 3,
      powerToDb: false,
      magExp: 1,
    });
    await gradCheck((x: Tensor) => l.call(x) as Tensor, [seeded([2, 12], 3)], { eps: 1e-2 });
  });

  it('a model with it saves and loads with equal predictions', async () => {
    const m = new Sequential([
      new MelSpectrogram({ fftLength: 16, sequenceStride: 8, samplingRate: 2000, numMelBins: 4, inputShape: [40] }),
      new Flatten(),
      new Dense({ units: 2, seed: 1 }),
    ]);
    const x = seeded([3, 40], 2);
    const back = await modelFromArtifacts(await modelToArtifacts(m));
    expect(back.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
    expect(flat(back.predict(x) as Tensor)).toEqual(flat(m.predict(x) as Tensor));
  });

  it('errors name the layer, the option or the shapes; memory unchanged', async () => {
    expect((await thrown(() => new MelSpectrogram({ fftLength: 16, sequenceLength: 32 }))).message).toMatch(
      /MelSpectrogram.*sequenceLength \(32\) must be <= fftLength \(16\)/,
    );
    expect((await thrown(() => new MelSpectrogram({ window: 'blackman' } as never))).message).toMatch(
      /MelSpectrogram.*window must be 'hann', 'hamming' or null/,
    );
    expect((await thrown(() => new MelSpectrogram({ minFreq: 9000 }))).message).toMatch(
      /MelSpectrogram.*minFreq \(9000\) must be >= 0 and below maxFreq \(8000\)/,
    );
    expect(await thrown(() => new MelSpectrogram({ nFft: 3 } as never))).toBeInstanceOf(ArgumentError);
    const l = new MelSpectrogram({ fftLength: 16, sequenceStride: 4, numMelBins: 3 });
    (l.call(seeded([1, 20])) as Tensor).dispose();
    const short = seeded([1, 8]);
    const cube = seeded([1, 2, 20]);
    const ints = tensor([1, 2, 3], [3], 'int32');
    const n = memory().numTensors;
    expect(() => l.call(short)).toThrow(ShapeError);
    expect(() => l.call(short)).toThrow(/MelSpectrogram.*8 samples \(shape \[1,8\]\) is too short for fftLength 16/);
    expect(() => l.call(cube)).toThrow(/expects audio \[batch, samples\] or \[samples\], got shape \[1,2,20\]/);
    expect(() => l.call(ints)).toThrow(DTypeError);
    expect(memory().numTensors).toBe(n);
  });

  it('holds its DFT and mel matrices between calls and frees them on dispose', () => {
    const x = seeded([1, 20]);
    const before = memory().numTensors;
    const l = new MelSpectrogram({ fftLength: 8, sequenceStride: 4, numMelBins: 2 });
    (l.call(x) as Tensor).dispose();
    (l.call(x) as Tensor).dispose();
    expect(memory().numTensors).toBe(before + 2);
    l.dispose();
    expect(memory().numTensors).toBe(before);
  });
});
