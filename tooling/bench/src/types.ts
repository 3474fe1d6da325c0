/** The frameworks the harness runs, in table order: ours first, then the peers. */
export const FRAMEWORKS = ['tsdl', 'tfjs-cpu', 'tfjs-wasm', 'jax-js'] as const;
export type Framework = (typeof FRAMEWORKS)[number];
export const PEERS = FRAMEWORKS.filter((f) => f !== 'tsdl');

/** The work items, by the name given to --only. */
export const ITEMS = ['mlp', 'matmul', 'cnn'] as const;
export type Item = (typeof ITEMS)[number];

/** One table cell: a time (with optional footnote and throughput), or why there is none. */
export type Cell =
  | { kind: 'time'; seconds: number; note?: string; gflops?: number }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'failed'; reason: string };

/** One table row: a piece of work and each framework's result on it. */
export interface Row {
  work: string;
  /** How times in this row are printed. */
  unit: 's' | 'ms';
  cells: Partial<Record<Framework, Cell>>;
}

/** A line that compares what the frameworks computed (not how fast). */
export interface Check {
  what: string;
  values: Partial<Record<Framework, number>>;
  /** 'ok' when every value is within tolerance of the others (or of the reference). */
  ok: boolean;
  detail: string;
}

/** What each work item returns to the report. */
export interface ItemResult {
  rows: Row[];
  checks: Check[];
}
