import { type AutogradHooks, autogradHooks, setAutogradHooks } from '@tsdl/tensor/internal';

/**
 * Runs `fn` and returns the names of the ops autograd recorded meanwhile, by
 * wrapping the installed hook. Lets a case prove it exercises the op it is
 * filed under (a case that never reaches the rule would pass vacuously).
 */
export function recordedOps(fn: () => void): Set<string> {
  const { seen, restore } = spy();
  try {
    fn();
  } finally {
    restore();
  }
  return seen;
}

/** recordedOps for an async `fn`: the hook stays wrapped until it settles (tests run one at a time). */
export async function recordedOpsAsync(fn: () => Promise<unknown>): Promise<Set<string>> {
  const { seen, restore } = spy();
  try {
    await fn();
  } finally {
    restore();
  }
  return seen;
}

function spy(): { seen: Set<string>; restore: () => void } {
  const inner = autogradHooks();
  if (!inner) throw new Error('recordedOps: autograd is not installed (import @tsdl/autograd)');
  const seen = new Set<string>();
  const hooks: AutogradHooks = {
    record: (op, inputs, attrs, outputs) => {
      seen.add(op);
      inner.record(op, inputs, attrs, outputs);
    },
    backward: inner.backward,
  };
  setAutogradHooks(hooks);
  return { seen, restore: () => setAutogradHooks(inner) };
}
