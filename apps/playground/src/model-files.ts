import type { ModelFiles, TfjsModelArtifacts } from './protocol';

/**
 * Files chosen with "Load files…", sorted into one of the formats the
 * playground loads: tsdl's config.json + model.safetensors, a TF.js Layers
 * model (model.json and the .bin shards its weightsManifest lists), or one
 * .onnx file. Everything here only reads and pairs files; the worker makes the
 * model and checks that it takes MNIST images.
 */

/** What the page needs of a File (Node's File has the same). */
export interface ChosenFile {
  readonly name: string;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

const ACCEPTED =
  'config.json with model.safetensors (tsdl), model.json with its .bin shards (TF.js), or one .onnx file';
const names = (files: readonly ChosenFile[]) => files.map((f) => f.name).join(', ') || 'nothing';
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export async function readModelFiles(chosen: FileList | readonly ChosenFile[]): Promise<ModelFiles> {
  const files: ChosenFile[] = Array.from(chosen as ArrayLike<ChosenFile>);
  const onnx = files.filter((f) => f.name.toLowerCase().endsWith('.onnx'));
  if (onnx.length) {
    if (files.length > 1) throw new Error(`choose one .onnx file alone (got: ${names(files)})`);
    return { format: 'onnx', name: onnx[0].name, bytes: new Uint8Array(await onnx[0].arrayBuffer()) };
  }
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  if (jsons.length !== 1) throw new Error(`choose the files of one model: ${ACCEPTED} (got: ${names(files)})`);
  const json = jsons[0];
  let parsed: unknown;
  try {
    parsed = JSON.parse(await json.text());
  } catch (e) {
    throw new Error(`${json.name} is not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(parsed)) throw new Error(`${json.name} is not a model file: expected a JSON object (${ACCEPTED})`);
  if ('modelTopology' in parsed) return tfjsFiles(json.name, parsed, files);
  return tsdlFiles(json.name, parsed, files);
}

/** tsdl's pair: the config and its weights file (the one config.json names, or the one .safetensors chosen that is not an optimizer's). */
async function tsdlFiles(jsonName: string, config: Record<string, unknown>, files: ChosenFile[]): Promise<ModelFiles> {
  // A directory saved in Node names its weights file (model.<token>.safetensors) in config.json; never take the optimizer's.
  const named = (config.files as { weights?: { path?: unknown } } | undefined)?.weights?.path;
  const weights =
    files.find((f) => f.name === named) ??
    files.find((f) => f.name.endsWith('.safetensors') && !f.name.startsWith('optimizer'));
  if (!weights)
    throw new Error(
      `${jsonName} is a tsdl config: choose it together with its weights file, model.safetensors (got: ${names(files)})`,
    );
  return { format: 'tsdl', model: { config, weights: new Uint8Array(await weights.arrayBuffer()) } };
}

/**
 * TF.js' model.json and its shards, as in-memory ModelArtifacts: the weight
 * entries of every manifest group in order, and the shards' bytes joined in
 * the order the manifest lists them (TF.js' own layout). A browser gives only
 * file names, so a shard is found by the last part of its manifest path.
 */
async function tfjsFiles(jsonName: string, json: Record<string, unknown>, files: ChosenFile[]): Promise<ModelFiles> {
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw new Error(`${jsonName}: weightsManifest must be a list of { paths, weights }`);
  const paths: string[] = [];
  const weightSpecs: object[] = [];
  manifest.forEach((group: unknown, g) => {
    if (
      !isObj(group) ||
      !Array.isArray(group.paths) ||
      !Array.isArray(group.weights) ||
      !group.paths.every((p) => typeof p === 'string')
    ) {
      throw new Error(
        `${jsonName}: weightsManifest[${g}] must be an object { paths, weights } with a list of shard names`,
      );
    }
    paths.push(...(group.paths as string[]));
    weightSpecs.push(...(group.weights as object[]));
  });
  const shardName = (p: string) => p.split('/').pop() ?? p;
  const missing = paths.map(shardName).filter((n) => !files.some((f) => f.name === n));
  if (missing.length) {
    throw new Error(
      `${jsonName} lists weight shard${missing.length > 1 ? 's' : ''} that ${missing.length > 1 ? 'were' : 'was'} not chosen: ${missing.join(', ')}; choose ${jsonName} together with all its .bin files (got: ${names(files)})`,
    );
  }
  const shards = await Promise.all(paths.map((p) => files.find((f) => f.name === shardName(p))!.arrayBuffer()));
  const weightData = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
  let at = 0;
  for (const s of shards) {
    weightData.set(new Uint8Array(s), at);
    at += s.byteLength;
  }
  const artifacts: TfjsModelArtifacts = {
    modelTopology: json.modelTopology as object,
    weightSpecs,
    weightData: weightData.buffer,
  };
  for (const k of ['format', 'generatedBy'] as const) if (typeof json[k] === 'string') artifacts[k] = json[k] as string;
  if (typeof json.convertedBy === 'string' || json.convertedBy === null)
    artifacts.convertedBy = json.convertedBy as string | null;
  return { format: 'tfjs', name: jsonName, artifacts };
}

/** The buffers a message carrying `files` can hand over instead of copying. */
export function transferables(files: ModelFiles): ArrayBuffer[] {
  if (files.format === 'tfjs') return [files.artifacts.weightData];
  const bytes = files.format === 'onnx' ? files.bytes : files.model.weights;
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? [bytes.buffer]
    : [];
}
