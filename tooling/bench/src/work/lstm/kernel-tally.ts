/**
 * Counts the calls into a tsdl backend, by method, and (on the CPU, where a kernel
 * computes before it returns) the time spent in each: where a step's time goes,
 * before deciding what to fuse. Each method of the Backend contract is shadowed on
 * the instance by a counting wrapper while the tally is on; only calls from outside
 * the backend count (a kernel that calls another, say an upload inside a matmul,
 * counts once, under its own name).
 */

/**
 * The Backend contract's methods that move data or compute (@tsdl/tensor's backend.ts):
 * the only way work reaches a device. A backend's own helpers (buffer pools, encoders)
 * are not counted. A kernel added to the contract must be added here to be counted.
 */
export const BACKEND_CALLS = [
  'write',
  'read',
  'readSync',
  'elementwise',
  'elementwiseGroups',
  'reduce',
  'concat',
  'pad',
  'gather',
  'scatterAdd',
  'matmul',
  'softmax',
  'softmaxCrossEntropy',
  'softmaxCrossEntropyGrad',
  'checkIndices',
  'random',
] as const;

export interface Tally {
  /** Calls per method, from the frontend. */
  calls: Map<string, number>;
  /** Seconds inside each method (on a GPU: encoding only, not the device's time). */
  seconds: Map<string, number>;
}

export interface KernelTally {
  /** The counts since start (or the last take), and reset to zero. */
  take(): Tally;
  /** Removes the wrappers: the backend is as it was. */
  stop(): void;
}

export function tallyKernels(backend: object): KernelTally {
  const target = backend as Record<string, unknown>;
  let calls = new Map<string, number>();
  let seconds = new Map<string, number>();
  let depth = 0;
  // Own properties are left alone: deleting a wrapper must uncover the class's method.
  const names = BACKEND_CALLS.filter(
    (n) => typeof target[n] === 'function' && !Object.prototype.hasOwnProperty.call(target, n),
  );
  for (const name of names) {
    const f = target[name] as (...a: unknown[]) => unknown;
    target[name] = function (this: unknown, ...args: unknown[]) {
      if (depth > 0) return f.apply(this, args);
      depth++;
      const t0 = performance.now();
      try {
        return f.apply(this, args);
      } finally {
        depth--;
        calls.set(name, (calls.get(name) ?? 0) + 1);
        seconds.set(name, (seconds.get(name) ?? 0) + (performance.now() - t0) / 1000);
      }
    };
  }
  return {
    take() {
      const t = { calls, seconds };
      calls = new Map();
      seconds = new Map();
      return t;
    },
    stop() {
      // The wrappers are own properties over the class's methods: deleting them uncovers the originals.
      for (const name of names) delete target[name];
    },
  };
}

/** Total calls in a tally. */
export function totalCalls(t: Tally): number {
  let n = 0;
  for (const c of t.calls.values()) n += c;
  return n;
}

/** "812 backend calls: matmul 300 (40.1 ms), elementwise 500 (12.0 ms), …", busiest first, per step over `steps` steps. */
export function describeTally(t: Tally, steps: number, withTimes: boolean, fmt: (x: number) => string): string {
  const rows = [...t.calls.entries()].sort(
    (a, b) => (t.seconds.get(b[0]) ?? 0) - (t.seconds.get(a[0]) ?? 0) || b[1] - a[1],
  );
  // Every step runs the same kernels, so counts per step are whole: print them as such.
  const count = (x: number) => (Number.isInteger(x) ? String(x) : fmt(x));
  const parts = rows.map(
    ([name, n]) =>
      `${name} ${count(n / steps)}${withTimes ? ` (${fmt(((t.seconds.get(name) ?? 0) / steps) * 1000)} ms)` : ''}`,
  );
  return `${count(totalCalls(t) / steps)} backend calls: ${parts.join(', ')}`;
}
