import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Versions recorded when the bench is bundled into one file for a GPU machine
 * (tsup.gpu.config.ts defines it), where the packages are inlined and have no
 * package.json to read.
 */
declare const __BENCH_VERSIONS__: Record<string, string> | undefined;

/** The installed version of a package, read from its package.json (found beside its entry file). */
export function packageVersion(name: string): string {
  if (typeof __BENCH_VERSIONS__ !== 'undefined' && __BENCH_VERSIONS__[name]) return __BENCH_VERSIONS__[name];
  const require = createRequire(import.meta.url);
  try {
    let dir = path.dirname(require.resolve(name));
    for (;;) {
      const file = path.join(dir, 'package.json');
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      } catch {
        // no package.json at this level: keep climbing
      }
      const up = path.dirname(dir);
      if (up === dir) return 'unknown';
      dir = up;
    }
  } catch {
    return 'not installed';
  }
}
