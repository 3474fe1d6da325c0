import { ArgumentError } from '@tsdl/tensor';

/** node-only.ts for browser bundles (package.json maps '#node-only' here under the 'browser' condition). */
function refuse(what: string): never {
  throw new ArgumentError(
    `${what}: reading files needs Node's file system, which a browser does not have; in a browser load the data from a URL`,
  );
}

export async function fsPromises(what: string): Promise<never> {
  return refuse(what);
}

export async function pathModule(what: string): Promise<never> {
  return refuse(what);
}

export async function moduleModule(what: string): Promise<never> {
  return refuse(what);
}

export async function zlibModule(): Promise<null> {
  return null;
}
