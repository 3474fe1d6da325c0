/**
 * @tsdl/nn/node: the file-path forms of nn's state-dict IO. Kept out of the
 * main entry so browser bundles never see node:fs; the byte-level functions
 * they wrap (stateDictToSafetensors, loadSafetensorsInto,
 * loadTorchCheckpointInto) are in `@tsdl/nn`.
 */
export { saveSafetensors, loadSafetensors, loadTorchCheckpoint } from './files';
export { writeFileAtomic } from './atomic-write';
