import { cpu } from '@tsdl/backend-cpu';
import { webgpu } from '@tsdl/backend-webgpu';
import { activeBackend, findBackend, setBackend } from '@tsdl/tensor';
import { useNavigatorGpu } from './gpu';

/** tsdl's backends: 'cpu' (single-threaded JavaScript) and 'webgpu' (WGSL kernels through Dawn). */
export type TsdlBackend = 'cpu' | 'webgpu';

let gpuBackend: Promise<unknown> | null = null;

/** Makes the named tsdl backend the active one; each is created once per process. */
export async function useTsdl(backend: TsdlBackend = 'cpu'): Promise<void> {
  if (activeBackend()?.name === backend) return;
  if (findBackend(backend)) {
    setBackend(backend);
    return;
  }
  if (backend === 'cpu') {
    setBackend(cpu());
    return;
  }
  gpuBackend ??= (async () => {
    await useNavigatorGpu();
    setBackend(await webgpu({ powerPreference: 'high-performance' }));
  })();
  await gpuBackend;
  setBackend('webgpu');
}
