import { ArgumentError, DataFormatError } from '@tsdl/tensor';
import { fsPromises, pathModule } from '#node-only';
import { ioError } from '../io-errors';
import { errnoCode } from '../model-fs';
import { type Json, JsonError, parseStrictJson } from '@tsdl/nn/internal';

/**
 * Where TF.js model files come from: a model.json path (Node), an http(s) or
 * file URL (fetch), or in-memory artifacts as TF.js' IO handlers pass them
 * (`tf.io.withSaveHandler`, `tf.io.fromMemory`). Each becomes the parsed
 * model.json and the concatenated bytes of every weight shard in manifest
 * order; shard paths come from the file, so one that leaves the model's
 * directory (or origin) is refused.
 */

/** TF.js' in-memory ModelArtifacts (the fields tsdl reads). */
export interface TfjsArtifacts {
  modelTopology?: object;
  weightSpecs?: object[];
  weightData?: ArrayBuffer | ArrayBuffer[] | Uint8Array;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: object;
}

export interface TfjsFiles {
  /** model.json's content, with `weightsManifest` flattened to `weightSpecs`. */
  json: Record<string, Json>;
  weightSpecs: unknown[];
  weightData: Uint8Array;
  source: string;
}

const isObj = (v: unknown): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

function parseModelJson(bytes: Uint8Array, source: string): Record<string, Json> {
  let json: Json;
  try {
    json = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    const why = e instanceof JsonError || e instanceof TypeError ? e.message : String(e);
    throw new DataFormatError(`${source}: not a valid JSON file (${why})`);
  }
  if (!isObj(json)) throw new DataFormatError(`${source}: expected a JSON object (TF.js' model.json)`);
  if (!isObj(json.modelTopology))
    throw new DataFormatError(
      `${source}: modelTopology is missing; this is not a TF.js Layers model (a graph model from tf.saved_model conversion cannot be loaded as layers)`,
    );
  return json;
}

/** Shard paths of the manifest, each checked to stay inside the model's directory. */
function shardPaths(json: Record<string, Json>, source: string): { paths: string[]; specs: unknown[] } {
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw new DataFormatError(`${source}: weightsManifest must be a list`);
  const paths: string[] = [];
  const specs: unknown[] = [];
  manifest.forEach((group, g) => {
    if (!isObj(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new DataFormatError(`${source}: weightsManifest[${g}] must be an object { paths, weights }`);
    }
    for (const p of group.paths) {
      if (
        typeof p !== 'string' ||
        p === '' ||
        p.startsWith('/') ||
        p.includes('\\') ||
        /^[a-z][a-z0-9+.-]*:/i.test(p) ||
        p.split('/').includes('..')
      ) {
        throw new DataFormatError(
          `${source}: weightsManifest[${g}].paths holds ${JSON.stringify(p)}; shard paths must be relative names inside the model's directory`,
        );
      }
      paths.push(p);
    }
    specs.push(...group.weights);
  });
  return { paths, specs };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function fromPath(path: string): Promise<TfjsFiles> {
  const fs = await fsPromises('loadTfjsModel');
  const { dirname, join } = await pathModule('loadTfjsModel');
  const read = async (p: string, what: string): Promise<Uint8Array> => {
    try {
      const b = await fs.readFile(p);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      if (errnoCode(e) === 'EISDIR')
        throw new DataFormatError(`loadTfjsModel: ${p} is a directory; give the path of its model.json`);
      throw ioError(`loadTfjsModel: could not read ${what} ${p}`, e);
    }
  };
  const json = parseModelJson(await read(path, 'the model file'), path);
  const { paths, specs } = shardPaths(json, path);
  const shards: Uint8Array[] = [];
  for (const p of paths) shards.push(await read(join(dirname(path), p), 'the weight shard'));
  return { json, weightSpecs: specs, weightData: concat(shards), source: path };
}

async function fromUrl(url: URL): Promise<TfjsFiles> {
  const get = async (u: URL, what: string): Promise<Uint8Array> => {
    let res: Response;
    try {
      res = await fetch(u);
    } catch (e) {
      throw ioError(`loadTfjsModel: could not fetch ${what} ${u.href}`, e);
    }
    if (!res.ok)
      throw new DataFormatError(`loadTfjsModel: fetching ${what} ${u.href} answered ${res.status} ${res.statusText}`);
    return new Uint8Array(await res.arrayBuffer());
  };
  const source = url.href;
  const json = parseModelJson(await get(url, 'the model file'), source);
  const { paths, specs } = shardPaths(json, source);
  const shards: Uint8Array[] = [];
  for (const p of paths) shards.push(await get(new URL(p, url), 'the weight shard'));
  return { json, weightSpecs: specs, weightData: concat(shards), source };
}

function fromArtifacts(a: TfjsArtifacts): TfjsFiles {
  const source = 'TF.js model artifacts';
  if (!isObj(a.modelTopology)) throw new DataFormatError(`${source}: modelTopology must be an object`);
  const specs = a.weightSpecs ?? [];
  if (!Array.isArray(specs)) throw new DataFormatError(`${source}: weightSpecs must be a list`);
  const d = a.weightData;
  const parts =
    d === undefined
      ? []
      : Array.isArray(d)
        ? d.map((b) => new Uint8Array(b))
        : [d instanceof Uint8Array ? d : new Uint8Array(d)];
  const json = {
    modelTopology: a.modelTopology,
    format: a.format ?? null,
    generatedBy: a.generatedBy ?? null,
  } as Record<string, Json>;
  return { json, weightSpecs: specs, weightData: concat(parts), source };
}

/** Reads model.json and its shards from wherever `from` points. */
export async function readTfjsFiles(from: string | URL | TfjsArtifacts): Promise<TfjsFiles> {
  if (from instanceof URL)
    return from.protocol === 'file:' ? fromPath(decodeURIComponent(from.pathname)) : fromUrl(from);
  if (typeof from === 'string') {
    if (from === '') throw new ArgumentError('loadTfjsModel: the path must be a non-empty string');
    if (/^https?:\/\//i.test(from)) return fromUrl(new URL(from));
    if (/^file:\/\//i.test(from)) return fromPath(decodeURIComponent(new URL(from).pathname));
    return fromPath(from);
  }
  if (isObj(from)) return fromArtifacts(from as TfjsArtifacts);
  throw new ArgumentError(
    `loadTfjsModel: expected a model.json path or URL, or TF.js model artifacts, got ${from === null ? 'null' : typeof from}`,
  );
}
