import { cpu } from '@tsdl/backend-cpu';
import { type Backend, setBackend } from '@tsdl/tensor';

/** The backends this app can run on, by the name given to --backend. */
const BACKENDS: Record<string, () => Backend> = { cpu };

/** Selects the backend named on the command line; an unknown name is an error listing the available ones. */
export async function useBackend(name: string): Promise<Backend> {
  const make = BACKENDS[name];
  if (!make) throw new Error(`--backend ${name}: unknown backend (available: ${Object.keys(BACKENDS).join(', ')})`);
  return setBackend(make());
}
