/**
 * Keras initializer objects ({ class_name, config }) as TF.js and Keras save
 * them, to and from tsdl's initializer names. A loaded model's weights come
 * from its file, so an initializer only matters if the user re-initializes or
 * saves again: one tsdl has no name for is left out (the layer's default) and
 * the loader reports nothing for it.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keras' VarianceScaling presets: [scale, mode, uniform?] → tsdl name. */
const VARIANCE_SCALING: [number, string, boolean, string][] = [
  [1, 'fan_avg', true, 'glorot_uniform'],
  [1, 'fan_avg', false, 'glorot_normal'],
  [2, 'fan_in', true, 'he_uniform'],
  [2, 'fan_in', false, 'he_normal'],
  [1, 'fan_in', true, 'lecun_uniform'],
  [1, 'fan_in', false, 'lecun_normal'],
];

const BY_CLASS: Record<string, string> = {
  Zeros: 'zeros',
  Ones: 'ones',
  GlorotUniform: 'glorot_uniform',
  GlorotNormal: 'glorot_normal',
  HeUniform: 'he_uniform',
  HeNormal: 'he_normal',
  LeCunUniform: 'lecun_uniform',
  LecunUniform: 'lecun_uniform',
  LeCunNormal: 'lecun_normal',
  LecunNormal: 'lecun_normal',
};

/** The tsdl name for a saved initializer, or undefined when tsdl has none (the layer's default is used). */
export function initializerFromTfjs(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (!isObj(v) || typeof v.class_name !== 'string') return undefined;
  const c = isObj(v.config) ? v.config : {};
  if (v.class_name in BY_CLASS) return BY_CLASS[v.class_name];
  if (v.class_name === 'VarianceScaling') {
    const uniform = c.distribution === 'uniform';
    const hit = VARIANCE_SCALING.find(([s, m, u]) => s === c.scale && m === c.mode && u === uniform);
    return hit?.[3];
  }
  if (v.class_name === 'Orthogonal' && (c.gain ?? 1) === 1) return 'orthogonal';
  if (v.class_name === 'RandomUniform' && c.minval === -0.05 && c.maxval === 0.05) return 'random_uniform';
  if (v.class_name === 'RandomNormal' && (c.mean ?? 0) === 0 && c.stddev === 0.05) return 'random_normal';
  return undefined;
}

const TO_CLASS: Record<string, string> = {
  zeros: 'Zeros',
  ones: 'Ones',
  glorot_uniform: 'GlorotUniform',
  glorot_normal: 'GlorotNormal',
  he_uniform: 'HeUniform',
  he_normal: 'HeNormal',
  lecun_uniform: 'LeCunUniform',
  lecun_normal: 'LeCunNormal',
  orthogonal: 'Orthogonal',
  random_uniform: 'RandomUniform',
  random_normal: 'RandomNormal',
};

const CLASS_CONFIG: Record<string, Obj> = {
  Orthogonal: { gain: 1, seed: null },
  RandomUniform: { minval: -0.05, maxval: 0.05, seed: null },
  RandomNormal: { mean: 0, stddev: 0.05, seed: null },
};

/** The { class_name, config } TF.js reads for a tsdl initializer name (snake_case or camelCase). */
export function initializerToTfjs(name: string): Obj | undefined {
  const snake = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const cls = TO_CLASS[snake];
  if (!cls) return undefined;
  return {
    class_name: cls,
    config: { ...(CLASS_CONFIG[cls] ?? (cls === 'Zeros' || cls === 'Ones' ? {} : { seed: null })) },
  };
}
