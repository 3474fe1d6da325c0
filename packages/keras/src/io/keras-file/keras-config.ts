import { DataFormatError } from '@tsdl/tensor';
import { initializerToTfjs } from '../tfjs/tfjs-initializers';

/**
 * config.json of a .keras file: Keras 3's serialize_keras_object of the model.
 *
 * Reading: the layer entries are the ones TF.js' model.json carries for Keras
 * 3 models, so tfjs-config.ts / tfjs-load.ts translate and build them; this
 * module only checks what is particular to a .keras file and settles Keras 3's
 * options that change nothing tsdl computes (BatchNormalization's
 * `synchronized`, `renorm: false`, LayerNormalization's `rms_scaling: false` …).
 * An option set to something tsdl cannot compute is an error naming it.
 *
 * Writing: a tsdl model's config (camelCase) as Keras 3 writes one.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keras 3 options that tsdl drops when they hold the value that computes nothing different; any other value is refused. */
const SETTLED: Record<string, { ok: (v: unknown, c: Obj) => boolean; needs: string }> = {
  synchronized: { ok: () => true, needs: '' }, // cross-device batch statistics: one device here computes the same
  renorm: { ok: (v) => v === false, needs: 'false (tsdl has no batch renormalization)' },
  renorm_clipping: { ok: (v) => v === null, needs: 'null' },
  renorm_momentum: { ok: (_v, c) => c.renorm !== true, needs: 'unused' },
  rms_scaling: { ok: (v) => v === false, needs: 'false (tsdl has no RMS-scaled LayerNormalization)' },
  quantization_config: { ok: (v) => v === null, needs: 'null (quantized layers are not supported)' },
  lora_rank: { ok: (v) => v === null || v === 0, needs: 'unset (LoRA layers are not supported)' },
  lora_alpha: { ok: (v, c) => !c.lora_rank, needs: 'unset' },
  optional: { ok: (v) => v === false, needs: 'false' },
  use_gate: { ok: (v) => v === false, needs: 'false (gated attention is not supported)' },
  sliding_window: { ok: (v) => v === null, needs: 'null' },
  flash_attention: { ok: () => true, needs: '' }, // a kernel choice; the result is the same
};

/** A layer entry with Keras 3's settled options removed (wrapped layers too); errors name the file and the entry. */
function settleEntry(entry: unknown, source: string, where: string): unknown {
  if (!isObj(entry)) return entry;
  const module = entry.module;
  if (module !== undefined && module !== null && (typeof module !== 'string' || !/^keras(\.|_hub\.|$)/.test(module))) {
    const cls = typeof entry.class_name === 'string' ? entry.class_name : '?';
    throw new DataFormatError(
      `${source}: ${where} is a custom layer (${cls} from module ${JSON.stringify(module)}, registered as ${JSON.stringify(entry.registered_name)}); tsdl loads Keras' own layers only`,
    );
  }
  if (entry.class_name === 'Sequential' || entry.class_name === 'Functional' || entry.class_name === 'Model') {
    throw new DataFormatError(
      `${source}: ${where} is a nested model (${entry.class_name}); tsdl does not read models nested in a .keras file yet`,
    );
  }
  if (!isObj(entry.config)) return entry;
  const config: Obj = {};
  for (const [key, v] of Object.entries(entry.config)) {
    const rule = SETTLED[key];
    if (rule && !rule.ok(v, entry.config)) {
      throw new DataFormatError(
        `${source}: ${where} (${String(entry.class_name)}): ${key} is ${JSON.stringify(v)}; tsdl reads it only as ${rule.needs}`,
      );
    }
    if (rule) continue;
    config[key] = key === 'layer' || key === 'backward_layer' ? settleEntry(v, source, `${where}.${key}`) : v;
  }
  return { ...entry, config };
}

/** A tensor reference list as tfjs-load reads it: Keras 3 writes one input or output as a bare [name, node, tensor]. */
function refList(v: unknown): unknown {
  if (Array.isArray(v) && typeof v[0] === 'string') return [v];
  if (isObj(v)) return Object.values(v); // inputs given as a dict: their order in the file
  return v;
}

/**
 * The model entry of config.json ({ class_name, config }) checked and settled for
 * the TF.js builders: Sequential or Functional, settled layer entries, bare
 * references listed, and a Sequential that has only `build_input_shape` given
 * its InputLayer.
 */
export function settleKerasModelConfig(json: unknown, source: string): { class_name: string; config: Obj } {
  if (!isObj(json)) throw new DataFormatError(`${source}: expected a JSON object (Keras' serialized model)`);
  const cls = json.class_name;
  if (cls !== 'Sequential' && cls !== 'Functional' && cls !== 'Model') {
    throw new DataFormatError(
      `${source}: class_name is ${JSON.stringify(cls)}; tsdl loads Sequential and Functional models (a subclassed Model cannot be rebuilt from its config)`,
    );
  }
  const c = json.config;
  if (!isObj(c) || !Array.isArray(c.layers))
    throw new DataFormatError(`${source}: config.layers must be a list of layers`);
  const layers = c.layers.map((e, i) => settleEntry(e, source, `config.layers[${i}]`));
  const first = layers[0];
  if (
    cls === 'Sequential' &&
    !(isObj(first) && first.class_name === 'InputLayer') &&
    Array.isArray(c.build_input_shape)
  ) {
    layers.unshift({ class_name: 'InputLayer', config: { batch_shape: c.build_input_shape, name: 'input_layer' } });
  }
  const config: Obj = { ...c, layers };
  if (cls !== 'Sequential') {
    config.input_layers = refList(c.input_layers);
    config.output_layers = refList(c.output_layers);
  }
  return { class_name: cls, config };
}

// ---- tsdl → Keras 3 ----

const snake = (k: string): string => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** tsdl layers Keras 3 has no counterpart for in a .keras file (keras_hub's, removed ones, and those whose state Keras keeps elsewhere). */
const NOT_IN_KERAS: Record<string, string> = {
  PositionalEmbedding: 'is not a Keras layer',
  PositionEmbedding: "is keras_hub's, not a Keras layer",
  TokenAndPositionEmbedding: "is keras_hub's, not a Keras layer",
  ThresholdedReLU: 'is not in Keras 3 (use ReLU with threshold)',
  Lambda: 'holds a JavaScript function, which a .keras file cannot carry',
  TextVectorization: 'keeps its vocabulary as a Keras asset, which tsdl does not write',
  StringLookup: 'keeps its vocabulary as a Keras asset, which tsdl does not write',
  Normalization: 'has a sample count Keras saves with it, which tsdl does not keep',
};

/** Keras 3 layers that take a `seed` (tsdl's other layers use theirs only to initialize weights, which the file replaces). */
const SEEDED = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'SimpleRNN',
  'LSTM',
  'GRU',
  'MultiHeadAttention',
]);

const policy = (): Obj => ({
  module: 'keras',
  class_name: 'DTypePolicy',
  config: { name: 'float32' },
  registered_name: null,
});

/** One tsdl layer entry ({ className, config }) as Keras 3 serializes a layer; `problems` collects what Keras cannot be given. */
export function layerToKeras(className: string, config: Obj, problems: string[], where: string): Obj {
  const why = NOT_IN_KERAS[className];
  if (why) problems.push(`${where}: ${className} ${why}`);
  if (className === 'Sequential' || className === 'Functional')
    problems.push(`${where}: a nested model (${className}) is not written to .keras files yet`);
  const out: Obj = { name: config.name, trainable: config.trainable ?? true, dtype: policy() };
  for (const [key, v] of Object.entries(config)) {
    if (key === 'name' || key === 'trainable' || key === 'inputShape') continue;
    if (key === 'seed') {
      if (SEEDED.has(className)) out.seed = v;
    } else if (key === 'halfPixelCenters') {
      if (v === false && config.interpolation === 'bilinear')
        problems.push(
          `${where}: Keras 3's bilinear UpSampling2D samples at half-pixel centres; halfPixelCenters: false has no Keras 3 setting`,
        );
    } else if (key.endsWith('Initializer') && typeof v === 'string') {
      const init = initializerToTfjs(v);
      if (init) out[snake(key)] = { module: 'keras.initializers', ...init, registered_name: null };
      else problems.push(`${where}: initializer '${v}' has no Keras counterpart`);
    } else if ((key === 'activation' || key === 'recurrentActivation') && v === 'hard_sigmoid_legacy') {
      problems.push(`${where}: ${key} 'hard_sigmoid_legacy' (Keras 2's) has no Keras 3 name`);
    } else if ((key === 'layer' || key === 'backwardLayer') && isObj(v) && typeof v.className === 'string') {
      out[snake(key)] = layerEntry(v.className, v.config as Obj, problems, `${where}.${key}`);
    } else out[snake(key)] = v;
  }
  return out;
}

/** { module, class_name, config, registered_name } of a layer. */
export function layerEntry(className: string, config: Obj, problems: string[], where: string): Obj {
  return {
    module: 'keras.layers',
    class_name: className,
    config: layerToKeras(className, config, problems, where),
    registered_name: null,
  };
}

/** Keras 3's InputLayer entry for a sample shape. */
export function inputLayerEntry(name: string, shape: readonly number[]): Obj {
  return {
    module: 'keras.layers',
    class_name: 'InputLayer',
    config: { batch_shape: [null, ...shape], dtype: 'float32', sparse: false, ragged: false, name, optional: false },
    registered_name: null,
  };
}
