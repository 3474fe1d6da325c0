/** node-only.ts for browser bundles: no worker_threads (browsers use Web Workers). */
export function workerThreadsModule(): Promise<unknown> {
  return Promise.resolve(null);
}
