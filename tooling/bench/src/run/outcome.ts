import type { Cell } from '../types';

/** Messages by which frameworks say they lack an op (TF.js: "Kernel 'X' not registered for backend 'wasm'"). */
const UNSUPPORTED = /not registered for backend|not (yet )?supported|unsupported|not implemented/i;

/** The cell for a run that threw: 'unsupported' when the framework lacks the op, 'failed' otherwise. */
export function errorCell(e: unknown): Cell {
  const message = e instanceof Error ? e.message : String(e);
  const reason = message.split('\n')[0];
  return UNSUPPORTED.test(message) ? { kind: 'unsupported', reason } : { kind: 'failed', reason };
}

/** A progress line for a run that threw: the stack for a failure, the message for a missing op. */
export function errorLine(label: string, e: unknown): string {
  const cell = errorCell(e);
  if (cell.kind === 'unsupported') return `${label}: unsupported: ${cell.reason}`;
  return `${label}: FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
}

/** Progress goes to stderr, so stdout holds only the report. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
