import { cpu } from '@tsdl/backend-cpu';
import { type Backend, setBackend } from '@tsdl/tensor';

/** Selects the backend named on the command line. */
export async function useBackend(name: string): Promise<Backend> {
  if (name === 'cpu') return setBackend(cpu());
  throw new Error(`--backend ${name}: not available (this build has: cpu; webgpu arrives with @tsdl/backend-webgpu)`);
}
