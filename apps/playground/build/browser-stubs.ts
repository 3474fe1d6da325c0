import type { Plugin } from 'vite';

/**
 * The libraries reach Node's modules (fs, path, zlib) and cli-progress only
 * through dynamic imports on Node-only paths (reading a directory, saving
 * to disk, a terminal progress bar). In the browser those paths never run,
 * so the imports resolve to an empty module instead of Vite's warning stub.
 */
const NODE_ONLY = /^(node:|cli-progress$|events$|readline$)/;
const STUB = '\0tsdl-node-only';

export function browserStubs(): Plugin {
  return {
    name: 'tsdl-browser-stubs',
    enforce: 'pre',
    resolveId(id) {
      return NODE_ONLY.test(id) ? STUB : null;
    },
    load(id) {
      return id === STUB ? 'export default {};' : null;
    },
  };
}
