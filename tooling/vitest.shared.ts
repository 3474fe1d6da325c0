import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Workspace packages are imported through the `@tsdl/source` export
 * condition, so tests run against TypeScript sources without a build step.
 * Vitest resolves imports as a server (SSR) environment, so the condition is
 * set there too.
 */
const conditions = ['@tsdl/source', 'module', 'node', 'import', 'default'];

/** The vitest settings every package uses. */
export function packageConfig(name: string) {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      setupFiles: [fileURLToPath(new URL('./vitest.yield.ts', import.meta.url))],
    },
  });
}
