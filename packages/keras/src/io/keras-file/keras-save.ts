import { ArgumentError, TsdlError } from '@tsdl/tensor';
import type { Layer, PartialShape, SymbolicTensor } from '../../layers/layer';
import type { Functional } from '../../models/functional';
import type { Model } from '../../models/model';
import { saveNames } from '../dir-layout';
import { inCallOrder, removeQuietly, renameOver, syncDir, writeSynced } from '../dir-write';
import { ioError } from '../io-errors';
import { errnoCode, nodeFs } from '../model-fs';
import { inputLayerEntry, layerEntry } from './keras-config';
import { type H5VarsOut, writeH5Weights } from './keras-h5';
import { kerasLayerKeys, kerasVarGroups } from './keras-layout';
import { writeKerasZip } from './keras-zip';

/**
 * A tsdl keras model as a Keras 3 `.keras` file: config.json as Keras 3
 * serializes a Sequential or Functional model (keras-config.ts), metadata.json,
 * and model.weights.h5 in saving_lib's layout (keras-layout.ts), so
 * `keras.saving.load_model` reads it. What Keras cannot be given (a layer it
 * lacks, an option it has no name for) is an ArgumentError listing all of it,
 * before anything is written. The optimizer and compile settings are not
 * written (Keras loads the model uncompiled).
 */

type Obj = Record<string, unknown>;

/** The version of Keras whose saving layout this writer follows (written to metadata.json). */
const KERAS_VERSION = '3.15.1';

interface TsdlEntry {
  className: string;
  config: Obj;
  inboundNodes?: unknown[][];
}

/** Output shapes of a functional model's layers, by layer name (one per layer: Keras only needs it to rebuild a placeholder). */
function outputShapes(outputs: readonly SymbolicTensor[]): Map<string, PartialShape> {
  const shapes = new Map<string, PartialShape>();
  const stack = [...outputs];
  const seen = new Set<SymbolicTensor>();
  while (stack.length) {
    const t = stack.pop() as SymbolicTensor;
    if (seen.has(t)) continue;
    seen.add(t);
    if (!shapes.has(t.layer.name)) shapes.set(t.layer.name, t.shape);
    stack.push(...t.inputs);
  }
  return shapes;
}

const snake = (k: string): string => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** Keras 3's inbound node: the inputs as __keras_tensor__ references, a layer's call options as kwargs. */
function kerasNode(className: string, refs: unknown[][], shapes: Map<string, PartialShape>): Obj {
  const tensor = (r: unknown[]): Obj => ({
    class_name: '__keras_tensor__',
    config: { shape: shapes.get(r[0] as string) ?? null, dtype: 'float32', keras_history: [r[0], r[1], r[2]] },
  });
  const kts = refs.map(tensor);
  // MultiHeadAttention takes query, value (and key) as separate arguments; merge layers take one list.
  const args = kts.length === 1 || className === 'MultiHeadAttention' ? kts : [kts];
  const callArgs = (refs[0]?.[3] ?? {}) as Obj;
  return { args, kwargs: Object.fromEntries(Object.entries(callArgs).map(([k, v]) => [snake(k), v])) };
}

/** Keras 3 writes one input or output as a bare reference, several as a list. */
const refsOut = (refs: unknown[][]): unknown =>
  refs.length === 1 ? refs[0].slice(0, 3) : refs.map((r) => r.slice(0, 3));

/** config.json's model entry and the model's layers in the order Keras lists (and names) them in model.weights.h5. */
function modelEntry(
  model: Model,
  problems: string[],
): { entry: Obj; layers: { className: string; layer: Layer | null }[] } {
  const c = model.getConfig() as Obj;
  const entries = c.layers as TsdlEntry[];
  const name = model.name;
  if (model.className === 'Sequential') {
    const shape = c.buildInputShape as number[] | null;
    if (!Array.isArray(shape))
      problems.push(
        `the Sequential model '${name}' is not built: build it (model.build([null, ...shape])) or give its first layer an inputShape`,
      );
    const input = inputLayerEntry(typeof c.inputName === 'string' ? c.inputName : 'input_layer', shape ?? []);
    const layers = entries.map((l, i) =>
      layerEntry(l.className, l.config, problems, `layer ${i} '${String(l.config.name)}'`),
    );
    const batch = [null, ...(shape ?? [])];
    return {
      entry: {
        module: 'keras',
        class_name: 'Sequential',
        config: {
          name,
          trainable: model.trainable,
          dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
          layers: [input, ...layers],
          build_input_shape: batch,
        },
        registered_name: null,
        build_config: { input_shape: batch },
      },
      layers: [
        { className: 'InputLayer', layer: null },
        ...model.layers.map((l) => ({ className: l.className, layer: l })),
      ],
    };
  }
  if (model.className === 'Functional') {
    const f = model as unknown as Functional;
    const shapes = outputShapes(f.outputs);
    const byName = new Map<string, Layer>(model.layers.map((l) => [l.name, l]));
    const layers = entries.map((l, i) => {
      const where = `layer ${i} '${String(l.config.name)}'`;
      const e: Obj =
        l.className === 'InputLayer'
          ? inputLayerEntry(String(l.config.name), l.config.shape as number[])
          : layerEntry(l.className, l.config, problems, where);
      return {
        ...e,
        name: l.config.name,
        inbound_nodes: (l.inboundNodes ?? []).map((n) => kerasNode(l.className, n as unknown[][], shapes)),
      };
    });
    return {
      entry: {
        module: 'keras.src.models.functional',
        class_name: 'Functional',
        config: {
          name,
          trainable: model.trainable,
          layers,
          input_layers: refsOut(c.inputLayers as unknown[][]),
          output_layers: c.outputsAsList
            ? (c.outputLayers as unknown[][]).map((r) => r.slice(0, 3))
            : refsOut(c.outputLayers as unknown[][]),
        },
        registered_name: 'Functional',
        build_config: { input_shape: null },
      },
      layers: entries.map((l) => ({
        className: l.className,
        layer: l.className === 'InputLayer' ? null : (byName.get(String(l.config.name)) ?? null),
      })),
    };
  }
  problems.push(`the model is a ${model.className}; a .keras file holds Sequential and functional models`);
  return { entry: {}, layers: [] };
}

/** The bytes of a `.keras` file holding `model` (works in browsers: no file system). */
export async function modelToKerasBytes(model: Model): Promise<Uint8Array> {
  const problems: string[] = [];
  const { entry, layers } = modelEntry(model, problems);
  if (problems.length)
    throw new ArgumentError(`saveKerasFile: the model cannot be written as a .keras file:\n  ${problems.join('\n  ')}`);
  const keys = kerasLayerKeys(layers.map((l) => l.className));
  const groups: H5VarsOut[] = [];
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i].layer;
    if (!layer) continue;
    for (const g of kerasVarGroups(layer)) {
      const vars = [];
      for (const [, w] of g.weights)
        vars.push({ shape: [...w.shape], data: Float32Array.from((await w.data()) as ArrayLike<number>) });
      groups.push({ path: `layers/${keys[i]}${g.path ? `/${g.path}` : ''}`, name: g.owner, vars });
    }
  }
  const weights = await writeH5Weights(model.name, groups);
  const metadata = {
    keras_version: KERAS_VERSION,
    date_saved: new Date().toISOString().replace('T', '@').slice(0, 19),
    saved_by: '@tsdl/keras',
  };
  const enc = new TextEncoder();
  return writeKerasZip({
    config: enc.encode(JSON.stringify(entry)),
    metadata: enc.encode(JSON.stringify(metadata)),
    weights,
  });
}

/**
 * Writes `model` to `path` as a `.keras` file (Node). Atomic: the bytes go to a
 * synced temporary beside it, renamed over `path`; a failed or killed save
 * leaves the previous file as it was.
 */
export async function saveKerasFile(model: Model, path: string): Promise<void> {
  if (typeof path !== 'string' || path === '' || path.includes('\0')) {
    throw new ArgumentError(`saveKerasFile: the path must be a non-empty string, got ${JSON.stringify(path)}`);
  }
  if (!/\.keras$/i.test(path))
    throw new ArgumentError(
      `saveKerasFile: '${path}' must end in .keras (Keras' load_model reads a .keras file by that name)`,
    );
  const bytes = await modelToKerasBytes(model);
  await inCallOrder(path, async () => {
    const fs = await nodeFs();
    // The temporary sits beside the file (a rename never crosses file systems); no path module, so this entry stays browser-safe.
    const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
    const dir = cut < 0 ? '.' : path.slice(0, cut + 1);
    const existing = await fs.stat(path).catch((e: unknown) => {
      if (errnoCode(e) === 'ENOENT') return null;
      throw ioError(`saveKerasFile: could not write ${path}`, e);
    });
    if (existing?.isDirectory()) throw new ArgumentError(`saveKerasFile: '${path}' is a directory; give a file path`);
    const tmp = `${path}.${saveNames(process.pid).token}.tmp`;
    const made: string[] = [];
    try {
      await writeSynced(fs, tmp, bytes, made);
      await renameOver(fs, tmp, path);
    } catch (e) {
      await removeQuietly(fs, made);
      if (e instanceof TsdlError) throw e;
      throw ioError(`saveKerasFile: could not write ${path} (a file saved there before is unchanged)`, e);
    }
    // The rename is durable once the directory is synced; failing that changes nothing a reader sees.
    await syncDir(fs, dir).catch(() => {});
  });
}
