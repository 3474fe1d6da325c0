import { defineConfig } from 'vitest/config';

/**
 * The vitest settings every package uses. Tests import workspace packages
 * through the `@tsdl/source` export condition, so they run against TypeScript
 * sources without a build step.
 */
export function packageConfig(name: string) {
  return defineConfig({
    resolve: { conditions: ['@tsdl/source'] },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
    },
  });
}
