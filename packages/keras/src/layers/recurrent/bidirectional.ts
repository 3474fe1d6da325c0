import { ArgumentError, type Tensor, concat, flip, tidy } from '@tsdl/tensor';
import { camelCaseKeys, rejectUnknownOptions } from '../../config-keys';
import { quote } from '../../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from '../layer';
import { RecurrentLayer, type RecurrentCallOptions } from './rnn-base';

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

export interface BidirectionalArgs extends LayerArgs {
  /** The recurrent layer to run both ways; Bidirectional runs two copies of it (made from its config, with their own weights). */
  layer: RecurrentLayer;
  /** How the two outputs combine (default 'concat'); null returns both, [forward, backward]. */
  mergeMode?: MergeMode | null;
  /** The layer for the backward direction (default: a copy of `layer` with goBackwards flipped); must read the other way. */
  backwardLayer?: RecurrentLayer;
}

const MERGE_MODES: readonly (MergeMode | null)[] = ['concat', 'sum', 'mul', 'ave', null];

/** A saved entry { className, config } turned back into a layer (the registry's layerFromConfig). */
type Deserialize = (entry: { className: string; config: Record<string, unknown> }) => Layer;

// The backward copy's weights get their own seed, or both directions would start equal.
const BACKWARD_SEED_OFFSET = 7919;

/**
 * Keras' Bidirectional: runs a recurrent layer forward and a copy backward over
 * the same input and merges the outputs. With returnSequences the backward
 * output is put back in time order first, and masked steps output zeros in
 * both directions (Keras forces zeroOutputForMask there). With returnState it
 * returns [merged, ...forward states, ...backward states].
 * `new Bidirectional(new LSTM({ units: 8 }), { mergeMode: 'sum' })`.
 */
export class Bidirectional extends Layer {
  readonly forwardLayer: RecurrentLayer;
  readonly backwardLayer: RecurrentLayer;
  readonly mergeMode: MergeMode | null;
  readonly returnSequences: boolean;
  readonly returnState: boolean;

  constructor(layer: RecurrentLayer | BidirectionalArgs, options: Omit<BidirectionalArgs, 'layer'> = {}) {
    const a = (
      layer instanceof Layer
        ? { ...camelCaseKeys(options ?? {}, 'Bidirectional'), layer }
        : camelCaseKeys(layer, 'Bidirectional')
    ) as BidirectionalArgs;
    if (a === null || typeof a !== 'object')
      throw new ArgumentError(
        `Bidirectional: expected a recurrent layer or an options object ({ layer, mergeMode, ... }), got ${quote(a)}`,
      );
    if (new.target === Bidirectional)
      rejectUnknownOptions('Bidirectional', a, [...LAYER_OPTIONS, 'layer', 'mergeMode', 'backwardLayer']);
    const inner: unknown = a.layer;
    if (!(inner instanceof RecurrentLayer))
      throw new ArgumentError(
        `Bidirectional: layer must be a recurrent layer (SimpleRNN, LSTM, GRU), got ${describe(inner)}`,
      );
    // The wrapper takes its input shape from the wrapped layer when it has none of its own.
    super({ ...a, inputShape: a.inputShape ?? inner.inputShapeArg });
    const mode = a.mergeMode === undefined ? 'concat' : a.mergeMode;
    if (!MERGE_MODES.includes(mode))
      throw new ArgumentError(
        `${this.label}: mergeMode must be one of 'concat', 'sum', 'mul', 'ave' or null, got ${quote(mode)}`,
      );
    this.mergeMode = mode;
    this.returnSequences = inner.returnSequences;
    this.returnState = inner.returnState;
    const base = inner.name.replace(/^(forward_|backward_)/, '');
    const trainable = a.trainable === false ? { trainable: false } : {};
    this.forwardLayer = clone(inner, {
      ...trainable,
      name: `forward_${base}`,
      inputShape: null,
      zeroOutputForMask: inner.returnSequences,
    });
    const back: unknown = a.backwardLayer;
    if (back === undefined || back === null) {
      const seed = inner.getConfig().seed as number | undefined;
      this.backwardLayer = clone(inner, {
        ...trainable,
        name: `backward_${base}`,
        inputShape: null,
        goBackwards: !inner.goBackwards,
        zeroOutputForMask: inner.returnSequences,
        ...(seed === undefined ? {} : { seed: seed + BACKWARD_SEED_OFFSET }),
      });
    } else {
      if (!(back instanceof RecurrentLayer))
        throw new ArgumentError(`${this.label}: backwardLayer must be a recurrent layer, got ${describe(back)}`);
      for (const k of ['returnSequences', 'returnState'] as const) {
        if (back[k] !== inner[k])
          throw new ArgumentError(
            `${this.label}: backwardLayer must have the same ${k} as layer (${inner[k]}), got ${back[k]}`,
          );
      }
      if (back.goBackwards === this.forwardLayer.goBackwards) {
        throw new ArgumentError(
          `${this.label}: backwardLayer must read the other way (goBackwards ${!this.forwardLayer.goBackwards}), got goBackwards ${back.goBackwards}`,
        );
      }
      back.zeroOutputForMask = back.returnSequences;
      this.backwardLayer = back;
    }
    this.registerModule('forward_layer', this.forwardLayer);
    this.registerModule('backward_layer', this.backwardLayer);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  /** Rebuilds a saved Bidirectional: its config holds both layers as { className, config }. */
  static fromConfig(config: Record<string, unknown>, deserialize: Deserialize): Bidirectional {
    const c = camelCaseKeys(config, 'Bidirectional');
    const entry = (v: unknown, what: string): { className: string; config: Record<string, unknown> } => {
      const e = v as { className?: unknown; config?: unknown } | null;
      if (
        e === null ||
        typeof e !== 'object' ||
        typeof e.className !== 'string' ||
        e.config === null ||
        typeof e.config !== 'object'
      ) {
        throw new ArgumentError(`Bidirectional: ${what} must be a saved layer { className, config }, got ${quote(v)}`);
      }
      return e as { className: string; config: Record<string, unknown> };
    };
    const fwd = entry(c.layer, 'layer');
    // The forward entry is only a template (Bidirectional copies it): without an input shape it makes no weights.
    const { inputShape: _unused, input_shape: _unused2, ...fwdConfig } = fwd.config;
    const layer = deserialize({ className: fwd.className, config: fwdConfig });
    const backwardLayer =
      c.backwardLayer === undefined || c.backwardLayer === null
        ? undefined
        : deserialize(entry(c.backwardLayer, 'backwardLayer'));
    return new Bidirectional({ ...(c as object), layer, backwardLayer } as BidirectionalArgs);
  }

  override get className(): string {
    return 'Bidirectional';
  }

  override get takesMask(): boolean {
    return true;
  }

  override get outputCount(): number {
    return (this.mergeMode === null ? 2 : 1) + (this.returnState ? 2 * this.forwardLayer.stateCount : 0);
  }

  override build(inputShape: PartialShape): void {
    this.forwardLayer.ensureBuilt(inputShape);
    this.backwardLayer.ensureBuilt(inputShape);
    this.built = true;
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    const s = this.forwardLayer.computeOutputShape(inputShape);
    if (this.mergeMode !== 'concat') return s;
    const last = s[s.length - 1];
    return [...s.slice(0, -1), last === null ? null : 2 * last];
  }

  override computeMask(_input: Tensor, mask: Tensor | null): Tensor | null {
    return this.returnSequences ? mask : null;
  }

  override outputMasked(inputMasked: boolean): boolean {
    return inputMasked && this.returnSequences;
  }

  /** Both layers' weights, named '<forward layer>/<weight>' and '<backward layer>/<weight>'. */
  override namedWeights(): [string, Tensor][] {
    return [this.forwardLayer, this.backwardLayer].flatMap((l) =>
      l.namedWeights().map(([k, w]) => [`${l.name}/${k}`, w] as [string, Tensor]),
    );
  }

  override forward(x: Tensor, options?: RecurrentCallOptions): Tensor | Tensor[] {
    const o = options ?? {};
    rejectUnknownOptions(`${this.label} call`, o, ['mask', 'initialState']);
    let fInit: Tensor[] | null = null;
    let bInit: Tensor[] | null = null;
    if (o.initialState !== undefined && o.initialState !== null) {
      const s = o.initialState;
      const n = 2 * this.forwardLayer.stateCount;
      if (!Array.isArray(s) || s.length !== n)
        throw new ArgumentError(
          `${this.label}: initialState must be a list of ${n} tensors (the forward layer's states, then the backward layer's), got ${quote(s)}`,
        );
      fInit = s.slice(0, n / 2);
      bInit = s.slice(n / 2);
    }
    return tidy(() => {
      const run = (l: RecurrentLayer, init: Tensor[] | null): Tensor[] => {
        const r = l.call(x, { mask: o.mask ?? null, initialState: init });
        return Array.isArray(r) ? r : [r];
      };
      const [y, ...fStates] = run(this.forwardLayer, fInit);
      const [yb, ...bStates] = run(this.backwardLayer, bInit);
      // The backward layer's sequence comes out last step first.
      const yRev = this.returnSequences ? flip(yb, 1) : yb;
      const merged = this.merge(y, yRev);
      return this.returnState ? [...merged, ...fStates, ...bStates] : merged.length === 1 ? merged[0] : merged;
    });
  }

  private merge(y: Tensor, yRev: Tensor): Tensor[] {
    switch (this.mergeMode) {
      case 'concat':
        return [concat([y, yRev], -1)];
      case 'sum':
        return [y.add(yRev)];
      case 'mul':
        return [y.mul(yRev)];
      case 'ave':
        return [y.add(yRev).mul(0.5)];
      default:
        return [y, yRev];
    }
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      mergeMode: this.mergeMode,
      layer: { className: this.forwardLayer.className, config: this.forwardLayer.getConfig() },
      backwardLayer: { className: this.backwardLayer.className, config: this.backwardLayer.getConfig() },
    };
  }
}

/** A new layer of `l`'s class from its config with `changes` (fresh weights). */
function clone(l: RecurrentLayer, changes: Record<string, unknown>): RecurrentLayer {
  const Ctor = l.constructor as new (config: Record<string, unknown>) => RecurrentLayer;
  return new Ctor({ ...l.getConfig(), ...changes });
}

function describe(v: unknown): string {
  return v instanceof Layer ? `${v.name} (${v.className})` : quote(v);
}
