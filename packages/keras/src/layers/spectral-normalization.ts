import { noGrad } from '@tsdl/autograd';
import {
  ArgumentError,
  type Tensor,
  Tensor as TensorClass,
  abs,
  div,
  gt,
  matmul,
  max,
  minimum,
  mul,
  reshape,
  rsqrt,
  sum,
  tidy,
  where,
} from '@tsdl/tensor';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';
import { positiveInt } from './options';

export interface SpectralNormalizationArgs extends LayerArgs {
  /** The layer whose `kernel` (or an Embedding's `embeddings`) is normalized. */
  layer: Layer;
  /** Power-iteration steps per training call (default 1). */
  powerIterations?: number;
}

type Deserialize = (entry: { className: string; config: Record<string, unknown> }) => Layer;

const OPTIONS = [...LAYER_OPTIONS, 'layer', 'powerIterations'];

/** Keras' backend epsilon: ops.normalize caps 1/‖x‖ at 1/epsilon, so a zero vector stays zero. */
const EPSILON = 1e-7;

/** x / ‖x‖₂ over all of x, as Keras' ops.normalize(x, axis=None). */
function l2normalize(x: Tensor): Tensor {
  return mul(x, minimum(rsqrt(sum(mul(x, x))), 1 / EPSILON));
}

/**
 * Keras' SpectralNormalization wrapper (Miyato et al. 2018): in training, before the
 * wrapped layer runs, its kernel (reshaped to [−1, outputs]) is divided by an estimate
 * of its largest singular value σ = v·W·uᵀ, from `powerIterations` steps of power
 * iteration on the non-trainable `vector_u` [1, outputs] (kept between calls). As in
 * Keras the division is written into the kernel (no gradient flows through σ) and skipped
 * while the kernel is all zeros; in inference the layer runs on the kernel as it is.
 * Weights: `vector_u`, then the wrapped layer's (`<layer name>/kernel`, …).
 */
export class SpectralNormalization extends Layer {
  readonly layer: Layer;
  readonly powerIterations: number;
  vectorU: Tensor | null = null;

  constructor(layer: Layer | SpectralNormalizationArgs, options: Omit<SpectralNormalizationArgs, 'layer'> = {}) {
    const who = 'SpectralNormalization';
    const a = (
      layer instanceof Layer ? { ...camelCaseKeys(options ?? {}, who), layer } : camelCaseKeys(layer, who)
    ) as SpectralNormalizationArgs;
    if (a === null || typeof a !== 'object')
      throw new ArgumentError(
        `${who}: expected a layer or an options object ({ layer, powerIterations }), got ${quote(a)}`,
      );
    if (new.target === SpectralNormalization) rejectUnknownOptions(who, a, OPTIONS);
    const inner: unknown = a.layer;
    if (!(inner instanceof Layer)) throw new ArgumentError(`${who}: layer must be a Layer, got ${quote(inner)}`);
    const iterations =
      a.powerIterations === undefined || a.powerIterations === null
        ? 1
        : positiveInt(who, 'powerIterations', a.powerIterations);
    // The wrapped layer's input shape builds the wrapper too (as Bidirectional), so a model that starts with it is built when made.
    super({ ...a, inputShape: a.inputShape ?? inner.inputShapeArg });
    inner.expectOneOutput(this.label);
    this.layer = inner;
    this.powerIterations = iterations;
    this.registerModule('layer', inner);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  /** Rebuilds a saved SpectralNormalization: its config holds the layer as { className, config }. */
  static fromConfig(config: Record<string, unknown>, deserialize: Deserialize): SpectralNormalization {
    const c = camelCaseKeys(config, 'SpectralNormalization');
    const e = c.layer as { className?: unknown; config?: unknown } | null;
    if (
      e === null ||
      typeof e !== 'object' ||
      typeof e.className !== 'string' ||
      e.config === null ||
      typeof e.config !== 'object'
    ) {
      throw new ArgumentError(
        `SpectralNormalization: layer must be a saved layer { className, config }, got ${quote(c.layer)}`,
      );
    }
    return new SpectralNormalization({
      ...(c as object),
      layer: deserialize(e as { className: string; config: Record<string, unknown> }),
    } as SpectralNormalizationArgs);
  }

  override get className(): string {
    return 'SpectralNormalization';
  }

  /** The wrapped layer's kernel (or embeddings), or an ArgumentError naming its class. */
  private kernel(): Tensor {
    const l = this.layer as unknown as { kernel?: unknown; embeddings?: unknown };
    const k = l.kernel instanceof TensorClass ? l.kernel : l.embeddings instanceof TensorClass ? l.embeddings : null;
    if (k === null)
      throw new ArgumentError(
        `${this.label}: the wrapped ${this.layer.className} has no 'kernel' nor 'embeddings' weight to normalize`,
      );
    return k;
  }

  override build(inputShape: PartialShape): void {
    this.layer.ensureBuilt(inputShape);
    const k = this.kernel();
    const u = this.addWeight('vector_u', [1, k.shape[k.rank - 1]], 'random_normal', { trainable: false });
    // Keras starts it from TruncatedNormal(0.02); only its direction matters to the iteration.
    noGrad(() => {
      const scaled = mul(u, 0.4);
      u.assign(scaled);
      scaled.dispose();
    });
    this.vectorU = u;
    this.built = true;
  }

  /** vector_u, then the wrapped layer's weights named '<layer>/<weight>' (as TimeDistributed names them). */
  override namedWeights(): [string, Tensor][] {
    const own: [string, Tensor][] = this.vectorU ? [['vector_u', this.vectorU]] : [];
    return [...own, ...this.layer.namedWeights().map(([k, w]): [string, Tensor] => [`${this.layer.name}/${k}`, w])];
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    return this.layer.computeOutputShape(inputShape);
  }

  /** Keras' normalized_weights: power iteration, then kernel / σ and the new u written back (both unchanged while the kernel is all zeros). */
  private normalize(): void {
    const k = this.kernel();
    const u0 = this.vectorU as Tensor;
    noGrad(() => {
      const [kernel, u] = tidy(() => {
        const w = reshape(k, [-1, k.shape[k.rank - 1]]);
        let u = u0;
        let v = u0;
        for (let i = 0; i < this.powerIterations; i++) {
          v = l2normalize(matmul(u, w, { transposeB: true }));
          u = l2normalize(matmul(v, w));
        }
        const sigma = reshape(matmul(matmul(v, w), u, { transposeB: true }), []);
        // Decided on the device (no read back): Keras' ops.cond on an all-zero kernel.
        const nonZero = gt(max(abs(w)), 0);
        return [where(nonZero, div(k, sigma), k), where(nonZero, u, u0)];
      });
      k.assign(kernel);
      u0.assign(u);
      kernel.dispose();
      u.dispose();
    });
  }

  override forward(x: Tensor): Tensor {
    if (this.training) this.normalize();
    const y = this.layer.call(x) as unknown;
    if (Array.isArray(y))
      throw new ArgumentError(
        `${this.label}: the wrapped layer returned ${y.length} tensors; SpectralNormalization takes a layer with one output`,
      );
    return y as Tensor;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      layer: { className: this.layer.className, config: this.layer.getConfig() },
      powerIterations: this.powerIterations,
    };
  }
}
