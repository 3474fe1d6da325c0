import { type Model, modelToTfjsArtifacts } from '@tsdl/keras';

/**
 * A keras model as the files TF.js' `model.save()` downloads or
 * tensorflowjs_converter writes: model.json, whose weightsManifest lists the
 * shards, and the weight bytes cut into `shards` files named as the converter
 * names them (group1-shard1of2.bin …).
 */
export async function tfjsFiles(
  model: Model,
  shards = 2,
): Promise<{ json: Record<string, unknown>; files: [string, Uint8Array][] }> {
  const a = await modelToTfjsArtifacts(model);
  const bytes = new Uint8Array(a.weightData);
  const size = Math.ceil(bytes.length / shards);
  const files: [string, Uint8Array][] = [];
  for (let i = 0; i < shards; i++)
    files.push([`group1-shard${i + 1}of${shards}.bin`, bytes.slice(i * size, (i + 1) * size)]);
  const json = {
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: files.map(([name]) => name), weights: a.weightSpecs }],
  };
  return { json, files };
}
