import { defineConfig } from 'vitest/config';

// One run over every workspace project, so CI sees a single summary.
// Each project keeps its own vitest.config.ts for `turbo run test`.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'tooling/*/vitest.config.ts', 'apps/*/vitest.config.ts'],
  },
});
