import { ArgumentError } from '@tsdl/tensor';

/**
 * node-only.ts for browser bundles (package.json maps '#node-only' here under
 * the 'browser' condition): the same functions, without Node's modules.
 */
function refuse(op: string): never {
  throw new ArgumentError(
    `${op}: file paths need Node's file system, which a browser does not have; in a browser use modelToArtifacts / modelFromArtifacts (bytes you store in IndexedDB or download), or loadTfjsModel with an http(s) URL`,
  );
}

export async function fsPromises(op: string): Promise<never> {
  return refuse(op);
}

export async function pathModule(op: string): Promise<never> {
  return refuse(op);
}

/** No terminal in a browser: the caller falls back to its plain-text progress. */
export async function cliProgress(): Promise<null> {
  return null;
}
