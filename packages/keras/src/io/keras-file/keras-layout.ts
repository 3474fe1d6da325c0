import type { Tensor } from '@tsdl/tensor';
import type { Layer } from '../../layers/layer';

/**
 * Where Keras 3's saving_lib puts a layer's variables in model.weights.h5, and
 * which tsdl weight each one is.
 *
 * Keras walks the model: its `layers` list is saved as a container, each layer
 * under `layers/<key>`, where <key> is the layer's class name in snake_case
 * made unique by a counter in list order (dense, dense_1, …; Keras' to_snake_case
 * and _get_unique_name), not the layer's own name. A layer's own variables go to
 * `<path>/vars/0, 1, …`: its trainable variables in creation order, then its
 * non-trainable ones (Layer.save_own_variables). Layers a layer holds in
 * attributes go under `<path>/<attribute>`: an RNN's cell (`layers/lstm/cell`),
 * a wrapper's layer (`layer`, `forward_layer`, `backward_layer`),
 * MultiHeadAttention's projections (`_query_dense` …).
 *
 * tsdl's layers make the same variables in the same order, except that a
 * recurrent layer holds its cell's weights itself and MultiHeadAttention names
 * its projections' weights 'query/kernel' …; the groups below put them back.
 */

/** keras.src.utils.naming.to_snake_case, which names a layer's group in the file. */
export function kerasSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** The group key of each of a model's layers (by class name, in model order), as _save_container_state names them. */
export function kerasLayerKeys(classNames: readonly string[]): string[] {
  const used = new Map<string, number>();
  return classNames.map((c) => {
    const base = kerasSnakeCase(c);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    return n === undefined ? base : `${base}_${n + 1}`;
  });
}

/** One `vars` group: its path below the layer's group ('' = the layer's own) and the tsdl weights it holds, in file order. */
export interface VarGroup {
  path: string;
  /** The name of the object the group belongs to, which Keras keeps as the group's "name" attribute ('dense', 'lstm_cell', 'query'). */
  owner: string;
  /** [name in tsdl ('<layer>/<weight>'), weight] */
  weights: [string, Tensor][];
}

const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU']);

/** MultiHeadAttention's weight prefixes and the attributes Keras keeps those projections in. */
const MHA_GROUPS: Record<string, string> = {
  query: '_query_dense',
  key: '_key_dense',
  value: '_value_dense',
  attention_output: '_output_dense',
};

const under = (prefix: string, groups: VarGroup[]): VarGroup[] =>
  groups.map((g) => ({ ...g, path: g.path ? `${prefix}/${g.path}` : prefix }));

/** The `vars` groups of one tsdl layer in Keras' layout (none for a layer without weights). */
export function kerasVarGroups(layer: Layer): VarGroup[] {
  const named = (l: Layer): [string, Tensor][] => l.namedWeights().map(([k, w]) => [`${l.name}/${k}`, w]);
  const inner = (key: string): Layer | undefined => {
    const v: unknown = (layer as unknown as Record<string, unknown>)[key];
    return v && typeof v === 'object' && 'namedWeights' in v ? (v as Layer) : undefined;
  };
  if (RECURRENT.has(layer.className)) {
    const w = named(layer);
    return w.length ? [{ path: 'cell', owner: `${kerasSnakeCase(layer.className)}_cell`, weights: w }] : [];
  }
  if (layer.className === 'Bidirectional') {
    const fw = inner('forwardLayer');
    const bw = inner('backwardLayer');
    return [
      ...(fw ? under('forward_layer', kerasVarGroups(fw)) : []),
      ...(bw ? under('backward_layer', kerasVarGroups(bw)) : []),
    ];
  }
  if (layer.className === 'TimeDistributed') {
    const l = inner('layer');
    return l ? under('layer', kerasVarGroups(l)) : [];
  }
  // Own weights, and those a layer names '<sub-layer>/<weight>' (Keras keeps them in that sub-layer's group).
  const buffers = new Set(layer.buffers());
  const groups = new Map<string, [string, Tensor][]>();
  for (const [k, w] of layer.namedWeights()) {
    const cut = k.lastIndexOf('/');
    const prefix = cut < 0 ? '' : k.slice(0, cut);
    const path = layer.className === 'MultiHeadAttention' ? (MHA_GROUPS[prefix] ?? prefix) : prefix;
    if (!groups.has(path)) groups.set(path, []);
    (groups.get(path) as [string, Tensor][]).push([`${layer.name}/${k}`, w]);
  }
  // Trainable variables first, then the rest (BatchNormalization's moving statistics), each in creation order.
  return [...groups].map(([path, ws]) => ({
    path,
    owner: path === '' ? layer.name : (Object.keys(MHA_GROUPS).find((k) => MHA_GROUPS[k] === path) ?? path),
    weights: [...ws.filter(([, w]) => !buffers.has(w)), ...ws.filter(([, w]) => buffers.has(w))],
  }));
}
