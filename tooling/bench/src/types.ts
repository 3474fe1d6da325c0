/**
 * The frameworks the harness runs, in table order: ours first, then the peers,
 * the CPU ones (this machine's cores) before the GPU ones (WebGPU).
 */
export const FRAMEWORKS = [
  'tsdl',
  'tfjs-cpu',
  'tfjs-wasm',
  'jax-js',
  'tsdl-webgpu',
  'tfjs-webgpu',
  'jax-js-webgpu',
] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/** Where a framework computes: the CPU (JavaScript or WebAssembly) or the GPU (WebGPU). */
export type Device = 'cpu' | 'gpu';

/**
 * Reference frameworks outside Node, which an item runs as a subprocess (PyTorch on the CPU for
 * the LSTM): a column of their own, after the frameworks, where a row has a cell for them; never
 * named by --frameworks, and compared with tsdl on their device like any peer.
 */
export const REFERENCES = ['pytorch-cpu'] as const;
export type Reference = (typeof REFERENCES)[number];
/** A table column: a framework run in this process, or a reference run beside it. */
export type Column = Framework | Reference;

export const DEVICE_OF: Record<Column, Device> = {
  tsdl: 'cpu',
  'tfjs-cpu': 'cpu',
  'tfjs-wasm': 'cpu',
  'jax-js': 'cpu',
  'tsdl-webgpu': 'gpu',
  'tfjs-webgpu': 'gpu',
  'jax-js-webgpu': 'gpu',
  'pytorch-cpu': 'cpu',
};

/** tsdl on each device: the framework every peer on that device is compared with. */
export const OURS: Record<Device, Framework> = { cpu: 'tsdl', gpu: 'tsdl-webgpu' };

export function isOurs(f: Column): boolean {
  return f === OURS[DEVICE_OF[f]];
}

/** The frameworks that run on `device`, in table order. */
export function frameworksOn(device: Device): Framework[] {
  return FRAMEWORKS.filter((f) => DEVICE_OF[f] === device);
}

/** The work items, by the name given to --only. */
export const ITEMS = [
  'mlp',
  'mlp-memory',
  'matmul',
  'cnn',
  'small-ops',
  'matmul-transposes',
  'lstm',
  'transformer',
] as const;
export type Item = (typeof ITEMS)[number];

/**
 * The items a run without --only measures. matmul-transposes is left out: it
 * adds about a minute (jax-js takes ~10 s per n=1024 Aᵀ·Bᵀ) to a run that aims at 10 minutes, and it
 * answers one question (do transposed operands cost tsdl's matmul?), so it
 * runs when named. lstm too: TF.js cpu takes seconds a step, and it needs PyTorch beside Node.
 */
export const DEFAULT_ITEMS: readonly Item[] = ['mlp', 'mlp-memory', 'matmul', 'cnn', 'small-ops'];

/** One table cell: a time (with optional footnote and throughput), an amount of memory, or why there is none. */
export type Cell =
  | { kind: 'time'; seconds: number; note?: string; gflops?: number; relative?: Relative }
  | { kind: 'memory'; bytes: number; note?: string }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'failed'; reason: string };

/** A time over the same framework's time on a baseline row (printed as "1.03× A·B"). */
export interface Relative {
  value: number;
  /** The baseline's name. */
  to: string;
}

/** How a row's times print: seconds, milliseconds or microseconds. */
export type TimeUnit = 's' | 'ms' | 'µs';

/** A row's unit: a time unit, or MiB for memory (2^20 bytes). */
export type Unit = TimeUnit | 'MiB';

/** One table row: a piece of work and each framework's result on it. */
export interface Row {
  work: string;
  /** How values in this row are printed: times, or memory in MiB. */
  unit: Unit;
  cells: Partial<Record<Column, Cell>>;
}

/** A line that compares what the frameworks computed (not how fast). */
export interface Check {
  what: string;
  values: Partial<Record<Column, number>>;
  /** 'ok' when every value is within tolerance of the others (or of the reference). */
  ok: boolean;
  detail: string;
}

/** What each work item returns to the report. */
export interface ItemResult {
  rows: Row[];
  checks: Check[];
}
