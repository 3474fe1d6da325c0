import { packageConfig } from '../../tooling/vitest.shared';

export default packageConfig('onnx');
