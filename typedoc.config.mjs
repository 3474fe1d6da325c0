// The API reference: `pnpm docs:api` writes it to docs/api/ (not committed), and
// tooling/packaging/test/api-reference.test.ts builds it in CI with warnings as errors.
// Entries: every export of every published package (tooling/packaging/typedoc-entries.mjs).
import { apiEntries } from './tooling/packaging/typedoc-entries.mjs';

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  entryPoints: apiEntries().map((e) => e.file),
  entryPointStrategy: 'resolve',
  plugin: ['./tooling/packaging/typedoc-entries.mjs'],
  // The published sources only; type errors are the typecheck's to report.
  tsconfig: 'tsconfig.docs.json',
  skipErrorChecking: true,
  // No public repository to link sources to yet.
  disableSources: true,
  out: 'docs/api',
  name: 'tsdl',
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  treatWarningsAsErrors: true,
};
