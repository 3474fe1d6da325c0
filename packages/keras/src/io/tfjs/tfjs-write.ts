import { TsdlError } from '@tsdl/tensor';
import type { Model } from '../../models/model';
import { saveNames } from '../dir-layout';
import { inCallOrder, removeQuietly, renameOver, syncDir, writeSynced } from '../dir-write';
import { ioError } from '../io-errors';
import { pathModule } from '#node-only';
import { type ModelFs, nodeFs } from '../model-fs';
import { checkModelPath, prepareDir } from '../save-path';
import { modelToTfjsArtifacts } from './tfjs-save';

/**
 * Writes a model as TF.js files (Node): `model.json` and one weight shard, so
 * `tf.loadLayersModel('file://…/model.json')` (or over http) reads it. Atomic
 * as model.save() is: the shard goes under a fresh name, model.json is
 * replaced by one rename of a synced temporary, and only then are the shards
 * the previous model.json named removed; a failed or killed save leaves the
 * previous model loadable.
 */

const MODEL_JSON = 'model.json';

/** Shards a previous model.json names that this writer may remove: plain names in the directory, as TF.js and tsdl write them. */
async function previousShards(fs: ModelFs, path: string): Promise<string[]> {
  try {
    const json = JSON.parse(new TextDecoder().decode(await fs.readFile(path)));
    const paths = (json?.weightsManifest ?? []).flatMap((g: { paths?: unknown }) =>
      Array.isArray(g?.paths) ? g.paths : [],
    );
    return paths.filter(
      (p: unknown): p is string => typeof p === 'string' && /^[\w.-]+\.bin$|^group\d+-shard\d+of\d+$/.test(p),
    );
  } catch {
    return [];
  }
}

export async function saveTfjsModel(model: Model, dir: string): Promise<void> {
  checkModelPath(dir, 'saveTfjsModel');
  await inCallOrder(dir, async () => {
    const fs = await nodeFs('saveTfjsModel');
    const { join } = await pathModule('saveTfjsModel');
    await prepareDir(fs, dir, 'saveTfjsModel');
    const a = await modelToTfjsArtifacts(model);
    const { token } = saveNames(process.pid);
    const shard = `weights.${token}.bin`;
    const tmp = `model.${token}.json.tmp`;
    const old = await previousShards(fs, join(dir, MODEL_JSON));
    const json = {
      format: a.format,
      generatedBy: a.generatedBy,
      convertedBy: a.convertedBy,
      modelTopology: a.modelTopology,
      weightsManifest: [{ paths: [shard], weights: a.weightSpecs }],
    };
    const made: string[] = [];
    try {
      await writeSynced(fs, join(dir, shard), new Uint8Array(a.weightData), made);
      await writeSynced(fs, join(dir, tmp), new TextEncoder().encode(JSON.stringify(json) + '\n'), made);
      await syncDir(fs, dir);
      await renameOver(fs, join(dir, tmp), join(dir, MODEL_JSON));
    } catch (e) {
      await removeQuietly(fs, made);
      if (e instanceof TsdlError) throw e;
      throw ioError(`saveTfjsModel: could not write the model to ${dir} (a model saved there before is unchanged)`, e);
    }
    await syncDir(fs, dir).catch(() => {});
    await removeQuietly(
      fs,
      old.filter((p) => p !== shard).map((p) => join(dir, p)),
    );
  });
}
