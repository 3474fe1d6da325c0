import '@tsdl/autograd';
import { memory, setBackend } from '@tsdl/tensor';
import { compareClose } from '@tsdl/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
// The cases and their runner live with @tsdl/nn's own parity test (fixtures written by PyTorch).
import { loadCases, runCase } from '../../nn/test/layer-fixtures';
import { acquireTestGpu, gpuAvailable } from './gpu';

/**
 * nn's convolution, pooling, upsampling and KL-divergence modules on WebGPU
 * against the PyTorch fixtures the CPU meets: outputs and every gradient,
 * within 1e-5. A few cases cover each path (padding modes by gathers, grouped
 * and transposed convolutions, dilated and ceil-mode pools, resampling
 * weights computed on the host) without repeating the whole CPU table.
 */

const gpu = await acquireTestGpu();

const CASES = [
  ['conv-layers', "Conv1d paddingMode 'reflect', padding 'same', groups 2"],
  ['conv-layers', "Conv2d paddingMode 'circular', padding 'same', kernel [4, 3], groups 2"],
  ['conv-layers', 'Conv2d depthwise, stride 2, dilation [1, 2]'],
  ['conv-layers', 'ConvTranspose2d groups 2, stride 2, outputPadding [1, 0]'],
  ['conv-layers', 'ConvTranspose2d outputPadding [2, 1], stride [1, 2], dilation [3, 1], padding [1, 0], groups 2'],
  ['pool-layers', 'MaxPool2d dilation [2, 1], padding [1, 0], ceilMode, stride 2'],
  ['pool-layers', 'AvgPool2d divisorOverride 5, ceilMode, countIncludePad false'],
  ['pool-layers', 'AvgPool1d k 3, stride 2, padding 1, countIncludePad false, ceilMode'],
  ['upsample', 'Upsample nearest, scaleFactor 1.5 (PyTorch maps by 1 / scaleFactor)'],
  ['upsample', 'Upsample bilinear, scaleFactor 1.7, alignCorners False'],
  ['misc-layers', "KLDivLoss reduction 'batchmean', target grad too"],
] as const;

describe.runIf(gpuAvailable(gpu, it))('webgpu: nn conv, pooling, upsampling and KL layers against PyTorch', () => {
  beforeAll(() => {
    setBackend(gpu.backend('webgpu-nn-layers'));
  });

  for (const [file, name] of CASES) {
    it(name, async () => {
      const c = loadCases(file).find((k) => k.name === name);
      if (!c) throw new Error(`no case '${name}' in ${file}.json`);
      const before = memory().numTensors;
      const r = runCase(c);
      try {
        for (const [what, got, want] of r.pairs) {
          expect(got.shape, what).toEqual(want.shape);
          const msg = compareClose(await got.data(), want.data, { atol: 1e-5, rtol: 1e-5 });
          expect(msg, `${what}: ${msg}`).toBeNull();
        }
      } finally {
        r.dispose();
      }
      expect(memory().numTensors).toBe(before);
    });
  }
});
