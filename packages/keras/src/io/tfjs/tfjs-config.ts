import { DataFormatError } from '@tsdl/tensor';
import { camelCaseKeys } from '../../config-keys';
import { initializerFromTfjs, initializerToTfjs } from './tfjs-initializers';

/**
 * One layer's config between TF.js' model.json (Keras' snake_case, with
 * initializer objects, null regularizers and `batch_input_shape`) and tsdl's
 * layer configs (camelCase, initializer names, `inputShape`). Whatever is left
 * after the translation goes to the layer's constructor, which rejects what it
 * does not know: an option tsdl lacks is an error naming it, never dropped.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keys that describe how Keras ran a layer, not what it computes; tsdl has nothing to set from them. */
const RUNTIME_ONLY = new Set(['implementation', 'unroll', 'inputLength', 'sparse', 'ragged', 'buildConfig']);

/** Activations whose TF.js (and Keras 2) definition differs from Keras 3's under the same name. */
const LEGACY_ACTIVATIONS: Record<string, string> = {
  hard_sigmoid: 'hard_sigmoid_legacy',
  hardSigmoid: 'hard_sigmoid_legacy',
};

export interface FromTfjsContext {
  /** The file, for error messages. */
  source: string;
  /** Whether activations follow TF.js / Keras 2 (hard_sigmoid's older slope). */
  legacyActivations: boolean;
  /** The shape of a weight in the file ('<layer>/<weight>'), to recover options a writer left out. */
  weightShape?: (name: string) => readonly number[] | undefined;
}

function unsupported(ctx: FromTfjsContext, where: string, what: string): never {
  throw new DataFormatError(`${ctx.source}: ${where}: ${what}`);
}

/** A dtype entry: a string, or Keras 3's DTypePolicy object; only float32 (and int32 inputs) run in tsdl. */
function checkDtype(v: unknown, ctx: FromTfjsContext, where: string): void {
  const name = isObj(v) && isObj(v.config) ? v.config.name : v;
  if (name !== 'float32' && name !== 'int32' && name !== undefined && name !== null) {
    unsupported(ctx, where, `dtype ${JSON.stringify(name)} is not supported (tsdl layers compute in float32)`);
  }
}

/** tsdl's { className, config } for a TF.js layer entry's class name and config. */
export function layerFromTfjs(
  className: string,
  raw: unknown,
  ctx: FromTfjsContext,
  where: string,
): { className: string; config: Obj } {
  if (!isObj(raw)) unsupported(ctx, where, `the config of ${className} must be an object`);
  const c = camelCaseKeys(raw as Obj, `${ctx.source}: ${where}`) as Obj;
  const out: Obj = {};
  for (const [key, v] of Object.entries(c)) {
    if (key === 'dtype') checkDtype(v, ctx, where);
    else if (key === 'batchInputShape' || key === 'batchShape') {
      if (!Array.isArray(v)) unsupported(ctx, where, `${key} must be a list`);
      const sample = (v as unknown[]).slice(1);
      if (sample.some((d) => d === null)) {
        unsupported(
          ctx,
          where,
          `${key} ${JSON.stringify(v)} has an unknown dimension besides the batch; tsdl models need fixed sample shapes`,
        );
      }
      out.inputShape = sample;
    } else if (key.endsWith('Regularizer') || key.endsWith('Constraint')) {
      if (v !== null)
        unsupported(
          ctx,
          where,
          `${key} is set (${JSON.stringify(v)}); tsdl has no regularizers or constraints on layers`,
        );
    } else if (key.endsWith('Initializer')) {
      const name = initializerFromTfjs(v);
      if (name !== undefined) out[key] = name;
    } else if (key === 'dataFormat') {
      if (v !== 'channels_last' && v !== null)
        unsupported(ctx, where, `dataFormat ${JSON.stringify(v)} is not supported (tsdl layers are channels_last)`);
    } else if (key === 'stateful') {
      if (v === true) unsupported(ctx, where, 'stateful recurrent layers are not supported');
    } else if (RUNTIME_ONLY.has(key) || v === null) {
      // Nothing to carry over (null is Keras' "default").
    } else if ((key === 'activation' || key === 'recurrentActivation') && typeof v === 'string') {
      out[key] = ctx.legacyActivations ? (LEGACY_ACTIVATIONS[v] ?? v) : v;
    } else if ((key === 'layer' || key === 'backwardLayer') && isObj(v)) {
      // Wrappers (Bidirectional, TimeDistributed) hold a layer entry of their own.
      const inner = v.class_name;
      if (typeof inner !== 'string') unsupported(ctx, `${where}.${key}`, 'must name its class_name');
      out[key] = layerFromTfjs(inner, v.config, ctx, `${where}.${key}`);
    } else out[key] = v;
  }
  if (className === 'InputLayer') {
    out.shape = out.inputShape;
    delete out.inputShape;
  }
  // TF.js (and Keras 2's converter output run by TF.js) resizes at the corners' grid, not at half-pixel centres.
  if (className === 'UpSampling2D' && ctx.legacyActivations && out.interpolation === 'bilinear')
    out.halfPixelCenters = false;
  // tfjs-layers (4.22) leaves depth_multiplier out of SeparableConv configs; its depthwise kernel's last dimension is it.
  if (
    (className === 'SeparableConv2D' || className === 'SeparableConv1D') &&
    out.depthMultiplier === undefined &&
    typeof out.name === 'string'
  ) {
    const shape = ctx.weightShape?.(`${out.name}/depthwise_kernel`);
    if (shape && shape.length > 0) out.depthMultiplier = shape[shape.length - 1];
  }
  return { className, config: out };
}

// ---- tsdl → TF.js ----

const snake = (k: string): string => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** tsdl activation names TF.js reads under another name, or cannot read (null). */
const TFJS_ACTIVATION: Record<string, string | null> = {
  hard_sigmoid_legacy: 'hard_sigmoid',
  // TF.js' hard_sigmoid is the legacy line; Keras 3's cannot be written for it.
  hard_sigmoid: null,
  hard_silu: null,
  hard_swish: null,
  exponential: null,
  silu: 'swish',
};

/** Keys of tsdl configs that TF.js has no place for and that do not change what the layer computes. */
const TSDL_ONLY = new Set(['seed', 'halfPixelCenters']);

/** TF.js' config for a tsdl layer config; `problems` collects what TF.js cannot express. */
export function layerToTfjs(
  className: string,
  config: Obj,
  problems: string[],
  where: string,
): { class_name: string; config: Obj } {
  const out: Obj = {};
  for (const [key, v] of Object.entries(config)) {
    if (TSDL_ONLY.has(key)) continue;
    if (key === 'inputShape') out.batch_input_shape = [null, ...(v as number[])];
    else if (key.endsWith('Initializer') && typeof v === 'string') {
      const init = initializerToTfjs(v);
      if (init) out[snake(key)] = init;
      else problems.push(`${where}: initializer '${v}' has no TF.js counterpart`);
    } else if ((key === 'activation' || key === 'recurrentActivation') && typeof v === 'string') {
      const name = v in TFJS_ACTIVATION ? TFJS_ACTIVATION[v] : v;
      if (name === null) problems.push(`${where}: TF.js has no activation '${v}'`);
      else out[snake(key)] = name;
    } else if ((key === 'layer' || key === 'backwardLayer') && isObj(v) && typeof v.className === 'string') {
      out[snake(key)] = layerToTfjs(v.className, v.config as Obj, problems, `${where}.${key}`);
    } else out[snake(key)] = v;
  }
  if (className === 'InputLayer') {
    out.batch_input_shape = [null, ...(config.shape as number[])];
    delete out.shape;
  }
  out.dtype ??= 'float32';
  return { class_name: className, config: out };
}
