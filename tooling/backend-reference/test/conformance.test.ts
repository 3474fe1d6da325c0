import { runConformance } from '@tsdl/conformance';
import { reference } from '../src/index';

// The whole suite on the core alone: every acceleration runs as its lowering.
runConformance('reference', () => reference(), () => reference({ name: 'reference-second' }));
