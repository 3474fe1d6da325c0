import { cpu } from '@tsdl/backend-cpu';
import { activeBackend, setBackend } from '@tsdl/tensor';

/** Makes tsdl's CPU backend (single-threaded JavaScript) the active one, once. */
export function useTsdl(): void {
  if (activeBackend()?.name !== 'cpu') setBackend(cpu());
}
