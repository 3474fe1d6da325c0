/**
 * WebGPU in Node, shared by every GPU framework: Dawn's bindings (the `webgpu`
 * package) installed as `navigator.gpu`, as a browser would have it. TF.js
 * registers its webgpu backend only if navigator.gpu exists when its module
 * loads, and jax-js reads navigator.userAgent (a string) when it starts; tsdl's
 * webgpu() takes navigator.gpu when present. One GPU object serves all three.
 */

let installed: Promise<GPU> | null = null;
/** Dawn aborts the process if the object create() returned is collected while a device lives: keep it. */
let keep: GPU | null = null;

/** What every framework asked of the GPU, counted at Dawn's entry points: the cost of a step that is not arithmetic. */
export interface GpuCounts {
  /** Compute dispatches (kernel launches). */
  dispatches: number;
  /** Queue submissions. */
  submits: number;
  /** Buffers mapped for reading (each a round trip to the GPU). */
  reads: number;
}

const counts: GpuCounts = { dispatches: 0, submits: 0, reads: 0 };

/** The counts so far (a copy); subtract two to count a span. */
export function gpuCounts(): GpuCounts {
  return { ...counts };
}

/** Wraps a method of a Dawn class so each call bumps a counter (one increment: nothing measurable beside a dispatch). */
function countCalls(cls: unknown, method: string, key: keyof GpuCounts): void {
  const proto = (cls as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  const f = proto?.[method];
  if (typeof f !== 'function') return;
  proto![method] = function (this: unknown, ...args: unknown[]) {
    counts[key]++;
    return (f as (...a: unknown[]) => unknown).apply(this, args);
  };
}

async function install(): Promise<GPU> {
  const { create, globals } = await import('webgpu');
  const g = globals as Record<string, unknown>;
  countCalls(g.GPUComputePassEncoder, 'dispatchWorkgroups', 'dispatches');
  countCalls(g.GPUQueue, 'submit', 'submits');
  countCalls(g.GPUBuffer, 'mapAsync', 'reads');
  // GPUBufferUsage, GPUMapMode, ... as globals, as in a browser (tfjs-backend-webgpu reads them).
  Object.assign(globalThis, globals);
  keep = create([]);
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu: keep, userAgent: `node/${process.version}` },
    writable: true,
    configurable: true,
  });
  return keep;
}

/** navigator.gpu backed by Dawn, set up once per process. */
export function useNavigatorGpu(): Promise<GPU> {
  installed ??= install();
  return installed;
}

/** One line naming the adapter the GPU frameworks get (vendor, architecture, device, driver). */
export async function adapterLine(): Promise<string> {
  try {
    const gpu = await useNavigatorGpu();
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return 'gpu: Dawn found no adapter (is a Vulkan driver installed? VK_ICD_FILENAMES?)';
    // console.log(adapter.info) prints nothing in Dawn: read the fields one by one.
    const { vendor, architecture, device, description } = adapter.info;
    const parts = [vendor, architecture, device, description].filter((s) => s !== undefined && s !== '');
    const soft = /swiftshader/i.test(parts.join(' '))
      ? ' — SwiftShader, a CPU emulation of a GPU: times here measure nothing'
      : '';
    return `gpu: ${parts.join(', ')} (WebGPU through Dawn)${soft}`;
  } catch (e) {
    return `gpu: WebGPU could not start (${(e as Error).message.split('\n')[0]})`;
  }
}
