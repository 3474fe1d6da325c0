import {
  ArgumentError,
  BackendError,
  DataFormatError,
  DisposedError,
  type Tensor,
  dispose,
  tensor,
} from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { type Json, JsonError, parseStrictJson } from '@tsdl/nn/internal';
import type { Layer } from '../../layers/layer';
import { knownLayerClass } from '../../layers/registry';
import type { Model } from '../../models/model';
import { ioError } from '../io-errors';
import { nodeFs } from '../model-fs';
import type { StTensor } from '../safetensors';
import { withWeightPlan } from '../weight-plan';
import type { FromTfjsContext } from '../tfjs/tfjs-config';
import { functional, sequential, unknownClasses } from '../tfjs/tfjs-load';
import { settleKerasModelConfig } from './keras-config';
import { type H5Var, type H5Weights, withH5Weights } from './keras-h5';
import { kerasLayerKeys, kerasVarGroups } from './keras-layout';
import { CONFIG, METADATA, WEIGHTS, readKerasZip } from './keras-zip';

/**
 * Loads a Keras 3 `.keras` file as a tsdl keras model (uncompiled: the
 * optimizer state and compile config a file may hold are not read).
 *
 * The zip's entries are checked (keras-zip.ts), config.json is settled for
 * tsdl (keras-config.ts) and built by the TF.js loader's builders, each weight
 * a layer makes being checked against what model.weights.h5 holds before it is
 * allocated (weight-plan.ts); then every layer's `vars` groups (keras-layout.ts)
 * are matched with its weights, count and shapes, and only when all match are
 * the values read and assigned. A file that fails anywhere frees everything
 * made, and the error names the file and the entry (and the layer or path).
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function parseJson(bytes: Uint8Array, source: string): Json {
  try {
    return parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    const why = e instanceof JsonError || e instanceof TypeError ? e.message : String(e);
    throw new DataFormatError(`${source}: not valid JSON (${why})`);
  }
}

/** Pairs every layer's weights with the file's datasets, checking counts and shapes; returns the reads to do, in order. */
function matchWeights(model: Model, entries: Obj[], made: Layer[], h5: H5Weights, source: string): [Tensor, H5Var][] {
  const keys = kerasLayerKeys(entries.map((e) => String(e.class_name)));
  const byName = new Map(made.map((l) => [l.name, l]));
  const used = new Set<string>();
  const pairs: [Tensor, H5Var][] = [];
  entries.forEach((entry, i) => {
    if (entry.class_name === 'InputLayer') return;
    const name = isObj(entry.config) ? entry.config.name : undefined;
    const layer = typeof name === 'string' ? byName.get(name) : undefined;
    if (!layer)
      throw new DataFormatError(
        `${source}: config.json layers[${i}] (${String(entry.class_name)}) has no name the model's layers have`,
      );
    for (const g of kerasVarGroups(layer)) {
      const path = `${h5.root}/${keys[i]}${g.path ? `/${g.path}` : ''}`;
      const stored = h5.groups.get(path);
      used.add(path);
      const label = `layer '${layer.name}' (${layer.className})`;
      if (!stored || stored.length !== g.weights.length) {
        throw new DataFormatError(
          `${source}: ${WEIGHTS}: '${path}/vars' holds ${stored ? stored.length : 'no'} variables, but ${label} has ${g.weights.length} there (${g.weights.map(([n]) => n).join(', ')})`,
        );
      }
      g.weights.forEach(([wName, w], j) => {
        const v = stored[j];
        if (v.shape.join() !== w.shape.join()) {
          throw new DataFormatError(
            `${source}: ${WEIGHTS}: '${v.path}' has shape ${fmtShape(v.shape)}, but ${label} makes '${wName}' ${fmtShape(w.shape)}`,
          );
        }
        pairs.push([w, v]);
      });
    }
  });
  const extra = [...h5.groups].filter(([p, vars]) => vars.length > 0 && !used.has(p)).map(([p]) => `${p}/vars`);
  if (extra.length)
    throw new DataFormatError(
      `${source}: ${WEIGHTS} holds variables no layer of the model has: ${extra.slice(0, 8).join(', ')}${extra.length > 8 ? ' …' : ''}`,
    );
  if (pairs.length !== model.namedModelWeights().length) {
    throw new DataFormatError(
      `${source}: ${WEIGHTS} gives ${pairs.length} weights, but the model has ${model.namedModelWeights().length}`,
    );
  }
  return pairs;
}

/** Builds the model from the checked config and assigns the file's weights; everything made is freed if it fails. */
function build(
  modelConfig: { class_name: string; config: Obj },
  h5: H5Weights,
  ctx: FromTfjsContext,
  source: string,
): Model {
  const entries = modelConfig.config.layers as Obj[];
  const unknown = unknownClasses(entries, (c) => c === 'InputLayer' || knownLayerClass(c));
  if (unknown.length)
    throw new DataFormatError(
      `${source}: ${CONFIG}: tsdl has no layer class for ${unknown.join(', ')} (see @tsdl/keras' README for the supported layers)`,
    );
  // The plan bounds what the config makes by the values the file holds (one entry standing for all: Keras' paths are
  // not tsdl's names, so shapes are matched after the build, in matchWeights); only its length is read.
  const stored: Record<string, StTensor> = {
    [WEIGHTS]: { dtype: 'F32', shape: [h5.totalValues], data: { length: h5.totalValues } as unknown as Float32Array },
  };
  const created: Tensor[] = [];
  const made: Layer[] = [];
  let model: Model | null = null;
  try {
    model = withWeightPlan(stored, { config: `${source}: ${CONFIG}`, weights: `${source}: ${WEIGHTS}` }, created, () =>
      modelConfig.class_name === 'Sequential'
        ? sequential(modelConfig.config, ctx, made, 'layers')
        : functional(modelConfig.config, ctx, made, 'layers'),
    );
    const pairs = matchWeights(model, entries, made, h5, source);
    for (const [w, v] of pairs) {
      const t = tensor(h5.read(v), v.shape, 'float32');
      try {
        w.assign(t);
      } finally {
        t.dispose();
      }
    }
    return model;
  } catch (e) {
    model?.dispose();
    for (const l of made) l.dispose();
    dispose(created);
    if (
      !(e instanceof Error) ||
      e instanceof DataFormatError ||
      e instanceof BackendError ||
      e instanceof DisposedError
    )
      throw e;
    const err = new DataFormatError(`${source}: ${e.message}`);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}

/** A tsdl model from the bytes of a .keras file; `source` names it in errors. */
export async function modelFromKerasBytes(bytes: Uint8Array, source = 'the .keras file'): Promise<Model> {
  if (!(bytes instanceof Uint8Array))
    throw new ArgumentError(
      `loadKerasFile: expected the bytes of a .keras file (a Uint8Array), got ${bytes === null ? 'null' : typeof bytes}`,
    );
  const zip = readKerasZip(bytes, source);
  const metadata = parseJson(zip.metadata, `${source}: ${METADATA}`);
  const version = isObj(metadata) && typeof metadata.keras_version === 'string' ? metadata.keras_version : '3';
  const modelConfig = settleKerasModelConfig(parseJson(zip.config, `${source}: ${CONFIG}`), `${source}: ${CONFIG}`);
  // Keras 2.13–2.15 wrote .keras files too; their hard_sigmoid is the older one.
  const ctx: FromTfjsContext = { source: `${source}: ${CONFIG}`, legacyActivations: !version.startsWith('3') };
  return withH5Weights(zip.weights, `${source}: ${WEIGHTS}`, (h5) => build(modelConfig, h5, ctx, source));
}

/** Loads a `.keras` file (Keras 3's `model.save('x.keras')`): a path (Node) or the file's bytes. */
export async function loadKerasFile(from: string | Uint8Array | ArrayBuffer): Promise<Model> {
  if (from instanceof ArrayBuffer) return modelFromKerasBytes(new Uint8Array(from));
  if (from instanceof Uint8Array) return modelFromKerasBytes(from);
  if (typeof from !== 'string' || from === '') {
    throw new ArgumentError(
      `loadKerasFile: expected a .keras file's path or its bytes (Uint8Array / ArrayBuffer), got ${from === '' ? "''" : from === null ? 'null' : typeof from}`,
    );
  }
  const fs = await nodeFs();
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(from);
  } catch (e) {
    throw ioError(`loadKerasFile: could not read ${from}`, e);
  }
  return modelFromKerasBytes(bytes, from);
}
