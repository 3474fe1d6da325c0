/**
 * Node's worker_threads for Node before 20.16 (later ones hand it over
 * synchronously through process.getBuiltinModule). Imported as '#node-only':
 * package.json maps it to node-only.browser.ts under the 'browser' condition,
 * so a browser bundle names no Node module.
 */
export function workerThreadsModule(): Promise<unknown> {
  return import('node:worker_threads');
}
