import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { packageConfig } from '../../tooling/vitest.shared';

/**
 * The WebGPU tests (test/*.webgpu.ts), kept out of the default run until the
 * whole conformance suite passes on SwiftShader:
 *   npx vitest run --config packages/backend-webgpu/vitest.webgpu.config.ts
 */
const base = packageConfig('backend-webgpu-gpu');
export default defineConfig({ ...base, root: dirname(fileURLToPath(import.meta.url)), test: { ...base.test, include: ['test/**/*.webgpu.ts'] } });
