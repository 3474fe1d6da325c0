/** @tsdl/backend-reference: the required core of the Backend contract, and nothing else. */
export { reference, ReferenceBackend, type ReferenceBackendOptions } from './reference-backend';
