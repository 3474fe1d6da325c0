/**
 * @tsdl/app-cli: what every example app shares: its command-line flags and
 * the choice of backend. Private to the repository's apps.
 */
export { parseAppArgs, usage, type AppArgs, type ArgDefaults } from './args';
export { useBackend, type AppBackend } from './backend';
export { runApp } from './run-app';
