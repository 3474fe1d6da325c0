import { BackendError } from '@tsdl/tensor';

/**
 * Finding a GPU: `navigator.gpu` in browsers (and in Node when a program has
 * installed one), otherwise Dawn's Node bindings from the `webgpu` npm
 * package. Dawn aborts the process if the object `create()` returned is
 * garbage-collected while one of its devices is alive, so every such object
 * is kept here for the life of the process.
 */

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const NODE_PACKAGE = 'webgpu@0.6.2';

const keptAlive: GPU[] = [];

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

async function nodeGpu(): Promise<GPU> {
  // A variable specifier keeps browser bundlers from trying to bundle Dawn's native binary.
  const specifier = 'webgpu';
  let mod: { create(flags: string[]): GPU };
  try {
    mod = await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
  } catch (e) {
    throw new BackendError(
      `webgpu: Node has no WebGPU of its own and the 'webgpu' package (Dawn's Node bindings) could not be loaded ` +
        `(${(e as Error).message}); install it: npm install ${NODE_PACKAGE}`,
    );
  }
  const gpu = mod.create([]);
  keptAlive.push(gpu);
  return gpu;
}

/** `navigator.gpu`, or Dawn in Node. */
export async function findGpu(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (isNode()) return nodeGpu();
  throw new BackendError(
    'webgpu: this browser has no WebGPU (navigator.gpu is undefined); use a browser with WebGPU enabled ' +
      '(Chrome or Edge 113+, Safari 26+, Firefox 141+) over https or localhost, or use cpu() from @tsdl/backend-cpu',
  );
}

/** The message for "there is a WebGPU, but no adapter": what to install, per platform. */
export function noAdapterMessage(): string {
  if (!isNode()) {
    return 'webgpu: navigator.gpu.requestAdapter() found no GPU adapter (WebGPU may be disabled or the GPU blocklisted); use cpu() from @tsdl/backend-cpu';
  }
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const icd = env.VK_ICD_FILENAMES ? ` (VK_ICD_FILENAMES is ${env.VK_ICD_FILENAMES})` : '';
  return (
    `webgpu: Dawn found no GPU adapter${icd}. On Linux it needs the Vulkan loader and a Vulkan driver: ` +
    `apt-get install -y libvulkan1 and your GPU's Vulkan driver. Without a GPU, use the SwiftShader CPU driver: ` +
    `apt-get install -y libvulkan1 chromium, then run with VK_ICD_FILENAMES=${SWIFTSHADER_ICD} ` +
    `(slow; for tests). Or use cpu() from @tsdl/backend-cpu.`
  );
}

/** The path of Debian chromium's SwiftShader Vulkan driver, for tests that fall back to it. */
export const swiftShaderIcd = SWIFTSHADER_ICD;

/** The adapter limits worth raising above WebGPU's defaults for compute work. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** Requests a device with the adapter's full compute limits. */
export async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) {
    const v = adapter.limits[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  try {
    return await adapter.requestDevice({ requiredLimits });
  } catch (e) {
    throw new BackendError(`webgpu: the adapter refused to create a device (${(e as Error).message})`);
  }
}
