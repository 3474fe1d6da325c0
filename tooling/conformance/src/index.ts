/**
 * @tsdl/conformance: the tests every backend must pass, registered by one call.
 */
export { runConformance } from './run';
export type { ConformanceContext } from './context';
