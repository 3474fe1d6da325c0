/**
 * Counts the kernels a tsdl backend runs, by method, and (on the CPU, where a
 * kernel computes before it returns) the time spent in each: where a step's time
 * goes, before deciding what to fuse. Each method of the backend's class is
 * shadowed on the instance by a counting wrapper while the tally is on; only
 * calls from outside the backend count (a kernel that calls another, say a
 * contiguous copy before a matmul, counts once, under its own name).
 */

/** Methods that move or account memory rather than compute: not kernels. */
const NOT_KERNELS = new Set(['constructor', 'read', 'readSync', 'free', 'memory', 'maxElements', 'dispose', 'whenThreadsReady']);

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

function methodNames(obj: object): string[] {
  const names = new Set<string>();
  for (let p = Object.getPrototypeOf(obj) as object | null; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (d && typeof d.value === 'function' && !NOT_KERNELS.has(name)) names.add(name);
    }
  }
  return [...names];
}

export function tallyKernels(backend: object): KernelTally {
  const target = backend as Record<string, unknown>;
  let calls = new Map<string, number>();
  let seconds = new Map<string, number>();
  let depth = 0;
  const names = methodNames(backend).filter((n) => !Object.prototype.hasOwnProperty.call(target, n));
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

/** "812 kernels: matmul 300 (40.1 ms), elementwise 500 (12.0 ms), …", busiest first, per step over `steps` steps. */
export function describeTally(t: Tally, steps: number, withTimes: boolean, fmt: (x: number) => string): string {
  const rows = [...t.calls.entries()].sort((a, b) => (t.seconds.get(b[0]) ?? 0) - (t.seconds.get(a[0]) ?? 0) || b[1] - a[1]);
  // Every step runs the same kernels, so counts per step are whole: print them as such.
  const count = (x: number) => (Number.isInteger(x) ? String(x) : fmt(x));
  const parts = rows.map(([name, n]) => `${name} ${count(n / steps)}${withTimes ? ` (${fmt(((t.seconds.get(name) ?? 0) / steps) * 1000)} ms)` : ''}`);
  return `${count(totalCalls(t) / steps)} kernel calls: ${parts.join(', ')}`;
}
