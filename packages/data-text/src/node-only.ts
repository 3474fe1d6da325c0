/**
 * The Node modules this package reads files with, loaded on first use. Imported
 * as '#node-only': package.json maps it to node-only.browser.ts under the
 * 'browser' condition, so a browser bundle names no Node module (no bundler
 * warnings, nothing to stub) and the file paths fail there with a clear error.
 */
export async function fsPromises(_what: string): Promise<typeof import('node:fs/promises')> {
  return import('node:fs/promises');
}

export async function pathModule(_what: string): Promise<typeof import('node:path')> {
  return import('node:path');
}

export async function moduleModule(
  _what: string,
): Promise<{ createRequire: (typeof import('node:module'))['createRequire'] }> {
  return import('node:module');
}
