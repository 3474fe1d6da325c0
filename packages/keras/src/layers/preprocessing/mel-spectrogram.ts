import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  add,
  concat,
  flip,
  keep,
  log,
  matmul,
  max,
  maximum,
  mul,
  pow,
  reshape,
  slice,
  stack,
  tensor,
  tidy,
  transpose,
} from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { quote } from '../../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from '../layer';
import { finiteNumber, layerOptions } from '../layer-config';
import { optionalBool, positiveInt } from '../options';

export interface MelSpectrogramArgs extends LayerArgs {
  /** FFT size (default 2048); the spectrogram has fftLength / 2 + 1 bins. */
  fftLength?: number;
  /** Samples between frames (default 512). */
  sequenceStride?: number;
  /** Samples per frame, ≤ fftLength (default fftLength); the window is zero-padded to fftLength, centred. */
  sequenceLength?: number | null;
  /** 'hann' (default), 'hamming' (both periodic) or null (rectangular). */
  window?: 'hann' | 'hamming' | null;
  samplingRate?: number;
  numMelBins?: number;
  minFreq?: number;
  /** Default samplingRate / 2 (truncated to an integer, as Keras). */
  maxFreq?: number | null;
  /** Convert to decibels (default true). */
  powerToDb?: boolean;
  /** Decibels kept below the maximum (default 80). */
  topDb?: number;
  /** Exponent of the magnitude (default 2: power). */
  magExp?: number;
  minPower?: number;
  refPower?: number;
}

const OPTIONS = [
  ...LAYER_OPTIONS,
  'fftLength',
  'sequenceStride',
  'sequenceLength',
  'window',
  'samplingRate',
  'numMelBins',
  'minFreq',
  'maxFreq',
  'powerToDb',
  'topDb',
  'magExp',
  'minPower',
  'refPower',
];

const hzToMel = (f: number): number => 1127 * Math.log(1 + f / 700);

/**
 * Keras' linear_to_mel_weight_matrix (TensorFlow's, HTK mel scale): [bins, numMelBins]
 * triangular filters, linear in mel, between minFreq and maxFreq; the DC bin is zero.
 */
export function melWeights(bins: number, numMel: number, samplingRate: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(bins * numMel);
  const edges = Array.from(
    { length: numMel + 2 },
    (_, i) => hzToMel(lo) + ((hzToMel(hi) - hzToMel(lo)) * i) / (numMel + 1),
  );
  for (let b = 1; b < bins; b++) {
    const mel = hzToMel(((samplingRate / 2) * b) / (bins - 1));
    for (let m = 0; m < numMel; m++) {
      const lower = (mel - edges[m]) / (edges[m + 1] - edges[m]);
      const upper = (edges[m + 2] - mel) / (edges[m + 2] - edges[m + 1]);
      out[b * numMel + m] = Math.max(0, Math.min(lower, upper));
    }
  }
  return out;
}

/** The periodic window of `length` samples, zero-padded (centred) to `fft`. */
function windowValues(kind: 'hann' | 'hamming' | null, length: number, fft: number): Float64Array {
  const w = new Float64Array(fft);
  const left = Math.floor((fft - length) / 2);
  for (let n = 0; n < length; n++) {
    const c = Math.cos((2 * Math.PI * n) / length);
    w[left + n] = kind === 'hann' ? 0.5 - 0.5 * c : kind === 'hamming' ? 0.54 - 0.46 * c : 1;
  }
  return w;
}

/**
 * Keras' MelSpectrogram: audio [batch, samples] (or [samples]) to a mel spectrogram
 * [batch, numMelBins, frames], as Keras computes it: the signal reflect-padded by
 * fftLength / 2 on both sides (keras.ops.stft's center=True), frames of fftLength every
 * sequenceStride samples, times the window, |DFT|^magExp over fftLength / 2 + 1 bins, the
 * mel filterbank, then optionally decibels (10·log10 of max(x, minPower) relative to
 * refPower, floored at the maximum over the whole batch minus topDb, as Keras). The DFT is
 * two matmuls with [fftLength, bins] cosine and sine matrices (the window folded in), so it
 * runs, and differentiates, on every backend; it costs O(fftLength²) per frame where an FFT
 * would cost O(fftLength·log fftLength).
 */
export class MelSpectrogram extends Layer {
  readonly fftLength: number;
  readonly sequenceStride: number;
  readonly sequenceLength: number;
  readonly window: 'hann' | 'hamming' | null;
  readonly samplingRate: number;
  readonly numMelBins: number;
  readonly minFreq: number;
  readonly maxFreq: number;
  readonly powerToDb: boolean;
  readonly topDb: number;
  readonly magExp: number;
  readonly minPower: number;
  readonly refPower: number;
  /** [cos | sin] DFT matrices [fftLength, 2·bins] with the window folded in, and the mel filterbank [bins, numMelBins], made on first use. */
  private dft: Tensor | null = null;
  private mel: Tensor | null = null;

  constructor(config: MelSpectrogramArgs = {}) {
    const a = layerOptions(
      'MelSpectrogram',
      config,
      'an options object ({ fftLength, sequenceStride, numMelBins, ... })',
      OPTIONS,
      new.target === MelSpectrogram,
    );
    super(a);
    const who = this.label;
    this.fftLength = positiveInt(who, 'fftLength', a.fftLength ?? 2048);
    this.sequenceStride = positiveInt(who, 'sequenceStride', a.sequenceStride ?? 512);
    this.sequenceLength =
      a.sequenceLength === undefined || a.sequenceLength === null
        ? this.fftLength
        : positiveInt(who, 'sequenceLength', a.sequenceLength);
    if (this.sequenceLength > this.fftLength)
      throw new ArgumentError(
        `${who}: sequenceLength (${this.sequenceLength}) must be <= fftLength (${this.fftLength})`,
      );
    const w: unknown = a.window === undefined ? 'hann' : a.window;
    if (w !== 'hann' && w !== 'hamming' && w !== null)
      throw new ArgumentError(`${who}: window must be 'hann', 'hamming' or null, got ${quote(w)}`);
    this.window = w;
    this.samplingRate = positiveInt(who, 'samplingRate', a.samplingRate ?? 16000);
    this.numMelBins = positiveInt(who, 'numMelBins', a.numMelBins ?? 128);
    this.minFreq = finiteNumber(who, 'minFreq', a.minFreq ?? 20);
    this.maxFreq =
      a.maxFreq === undefined || a.maxFreq === null
        ? Math.trunc(this.samplingRate / 2)
        : finiteNumber(who, 'maxFreq', a.maxFreq);
    if (!(this.minFreq >= 0 && this.minFreq < this.maxFreq))
      throw new ArgumentError(`${who}: minFreq (${this.minFreq}) must be >= 0 and below maxFreq (${this.maxFreq})`);
    this.powerToDb = optionalBool(who, 'powerToDb', a.powerToDb, true);
    this.topDb = finiteNumber(who, 'topDb', a.topDb ?? 80);
    this.magExp = finiteNumber(who, 'magExp', a.magExp ?? 2);
    this.minPower = finiteNumber(who, 'minPower', a.minPower ?? 1e-10);
    if (this.minPower <= 0) throw new ArgumentError(`${who}: minPower must be > 0, got ${this.minPower}`);
    this.refPower = finiteNumber(who, 'refPower', a.refPower ?? 1);
    this.built = true;
  }

  override get className(): string {
    return 'MelSpectrogram';
  }

  private frames(samples: number | null): number | null {
    if (samples === null) return null;
    const half = Math.floor(this.fftLength / 2);
    return Math.floor((samples + 2 * half - this.fftLength) / this.sequenceStride) + 1;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    if (s.length !== 1 && s.length !== 2)
      throw new ShapeError(`${this.label}: expects audio [batch, samples] or [samples], got shape ${fmtKerasShape(s)}`);
    return [...s.slice(0, -1), this.numMelBins, this.frames(s[s.length - 1])];
  }

  /** The constant matrices on `like`'s backend (host values, made once). */
  private matrices(like: Tensor): [Tensor, Tensor] {
    if (this.dft && this.dft.backend === like.backend && !this.dft.isDisposed) return [this.dft, this.mel as Tensor];
    const N = this.fftLength;
    const bins = Math.floor(N / 2) + 1;
    const win = windowValues(this.window, this.sequenceLength, N);
    const d = new Float32Array(N * 2 * bins);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < bins; k++) {
        // (n·k) mod N keeps the angle small, so float64 cos/sin stay exact for large N.
        const angle = (2 * Math.PI * ((n * k) % N)) / N;
        d[n * 2 * bins + k] = win[n] * Math.cos(angle);
        d[n * 2 * bins + bins + k] = -win[n] * Math.sin(angle);
      }
    }
    this.dft?.dispose();
    this.mel?.dispose();
    // Kept: the layer holds them across calls, whatever tidy the first call ran in.
    this.dft = keep(tensor(d, [N, 2 * bins], 'float32', { backend: like.backend }));
    this.mel = keep(
      tensor(
        melWeights(bins, this.numMelBins, this.samplingRate, this.minFreq, this.maxFreq),
        [bins, this.numMelBins],
        'float32',
        { backend: like.backend },
      ),
    );
    return [this.dft, this.mel];
  }

  override forward(x: Tensor): Tensor {
    const who = this.label;
    if (!(x instanceof TensorClass)) throw new ArgumentError(`${who}: input must be a Tensor, got ${quote(x)}`);
    x.assertAlive(who);
    if (x.dtype !== 'float32')
      throw new DTypeError(`${who}: audio must be float32, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
    if (x.rank !== 1 && x.rank !== 2)
      throw new ShapeError(`${who}: expects audio [batch, samples] or [samples], got shape ${fmtShape(x.shape)}`);
    const L = x.shape[x.rank - 1];
    const half = Math.floor(this.fftLength / 2);
    // Reflect padding needs more samples than it mirrors (numpy and TensorFlow refuse too).
    if (L <= half)
      throw new ShapeError(
        `${who}: audio of ${L} samples (shape ${fmtShape(x.shape)}) is too short for fftLength ${this.fftLength}: center padding reflects ${half} samples, so it needs more than ${half}`,
      );
    const [dft, melM] = this.matrices(x);
    return tidy(() => {
      const batch = x.rank === 2 ? x.shape[0] : 1;
      const a = reshape(x, [batch, L]);
      const N = this.fftLength;
      const bins = Math.floor(N / 2) + 1;
      // Reflect: x[half], …, x[1] before and x[L−2], …, x[L−1−half] after.
      const parts = [a];
      if (half > 0) {
        parts.unshift(flip(slice(a, [0, 1], [null, half + 1]), 1));
        parts.push(flip(slice(a, [0, L - 1 - half], [null, L - 1]), 1));
      }
      const padded = concat(parts, 1);
      const T = this.frames(L) as number;
      const frames = stack(
        Array.from({ length: T }, (_, t) =>
          slice(padded, [0, t * this.sequenceStride], [null, t * this.sequenceStride + N]),
        ),
        1,
      );
      const spec = matmul(reshape(frames, [batch * T, N]), dft);
      const re = slice(spec, [0, 0], [null, bins]);
      const im = slice(spec, [0, bins], [null, 2 * bins]);
      const power = add(mul(re, re), mul(im, im));
      const mag = this.magExp === 2 ? power : pow(power, this.magExp / 2);
      let out = reshape(matmul(mag, melM), [batch, T, this.numMelBins]);
      if (this.powerToDb) {
        const toDb = 10 / Math.LN10;
        out = mul(log(maximum(out, this.minPower)), toDb);
        out = add(out, -10 * Math.log10(Math.max(Math.abs(this.refPower), this.minPower)));
        out = maximum(out, add(max(out), -this.topDb));
      }
      const y = transpose(out, [0, 2, 1]);
      return x.rank === 2 ? y : reshape(y, [this.numMelBins, T]);
    });
  }

  /** Frees the cached DFT and mel matrices too (they are not weights: nothing to save). */
  override dispose(): void {
    this.dft?.dispose();
    this.mel?.dispose();
    this.dft = null;
    this.mel = null;
    super.dispose();
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      fftLength: this.fftLength,
      sequenceStride: this.sequenceStride,
      sequenceLength: this.sequenceLength,
      window: this.window,
      samplingRate: this.samplingRate,
      numMelBins: this.numMelBins,
      minFreq: this.minFreq,
      maxFreq: this.maxFreq,
      powerToDb: this.powerToDb,
      topDb: this.topDb,
      magExp: this.magExp,
      minPower: this.minPower,
      refPower: this.refPower,
    };
  }
}
