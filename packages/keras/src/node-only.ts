/**
 * The Node-only modules keras reaches (the file system and paths for saving and
 * loading, the terminal progress bar), each loaded on first use. Imported as
 * '#node-only': package.json maps it to node-only.browser.ts under the
 * 'browser' condition, so a browser bundle of @tsdl/keras names no Node module
 * (no bundler warnings, no stubs to configure) and these paths fail there with
 * an error that says what to use instead.
 */
export async function fsPromises(_op: string): Promise<typeof import('node:fs/promises')> {
  return import('node:fs/promises');
}

export async function pathModule(_op: string): Promise<typeof import('node:path')> {
  return import('node:path');
}

export async function cliProgress(): Promise<typeof import('cli-progress')> {
  const m = await import('cli-progress');
  return ((m as { default?: typeof import('cli-progress') }).default ?? m) as typeof import('cli-progress');
}
