import { runConformance } from '@tsdl/conformance';
import { cpu } from '../src/index';

runConformance(
  'cpu',
  () => cpu(),
  () => cpu({ name: 'cpu-second' }),
);
