import {
  type Cell,
  type Check,
  type Column,
  DEVICE_OF,
  type Framework,
  OURS,
  REFERENCES,
  type Row,
  type TimeUnit,
  type Unit,
  isOurs,
} from './types';

/** Three significant digits, without exponent notation for the sizes a benchmark meets. */
export function fmtNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a === 0) return '0';
  return x.toPrecision(3);
}

export function fmtTime(seconds: number, unit: TimeUnit): string {
  if (unit === 's') return `${fmtNumber(seconds)} s`;
  return unit === 'ms' ? `${fmtNumber(seconds * 1000)} ms` : `${fmtNumber(seconds * 1e6)} µs`;
}

/** Bytes in MiB (2^20), three significant digits. */
export function fmtMiB(bytes: number): string {
  return `${fmtNumber(bytes / 2 ** 20)} MiB`;
}

/** A cell's number, when it has one: seconds or bytes (lower is better for both). */
function amount(c: Cell | undefined): number | undefined {
  if (c?.kind === 'time') return c.seconds;
  if (c?.kind === 'memory') return c.bytes;
  return undefined;
}

/** peer / ours: above 1 means tsdl is faster (or smaller). Empty unless both sides have the same kind of number. */
export function ratio(peer: Cell | undefined, ours: Cell | undefined): string {
  const p = amount(peer);
  const o = amount(ours);
  if (p === undefined || o === undefined || peer?.kind !== ours?.kind || o <= 0) return '—';
  return fmtNumber(p / o);
}

/** Numbers footnotes by their text, so one note shared by many cells is printed once. */
class Footnotes {
  readonly texts: string[] = [];
  mark(text: string): string {
    let i = this.texts.indexOf(text);
    if (i < 0) i = this.texts.push(text) - 1;
    return `[${i + 1}]`;
  }
}

function cellText(cell: Cell | undefined, unit: Unit, notes: Footnotes, fw: Column): string {
  if (cell === undefined) return '—';
  if (cell.kind === 'unsupported') return `unsupported ${notes.mark(`${fw}: ${cell.reason}`)}`;
  if (cell.kind === 'failed') return `failed ${notes.mark(`${fw} failed: ${cell.reason}`)}`;
  if (cell.kind === 'memory') return fmtMiB(cell.bytes) + (cell.note ? ` ${notes.mark(cell.note)}` : '');
  if (unit === 'MiB') throw new Error(`a time cell (${fw}) in a row of memory`);
  let s = fmtTime(cell.seconds, unit);
  const extras: string[] = [];
  if (cell.gflops !== undefined) extras.push(`${fmtNumber(cell.gflops)} GFLOP/s`);
  if (cell.relative !== undefined) extras.push(`${fmtNumber(cell.relative.value)}× ${cell.relative.to}`);
  if (extras.length > 0) s += ` (${extras.join(', ')})`;
  if (cell.note) s += ` ${notes.mark(cell.note)}`;
  return s;
}

/** The frameworks run, then each reference (PyTorch) that some row has a cell for. */
function columnsOf(frameworks: readonly Framework[], has: (r: Column) => boolean): Column[] {
  return [...frameworks, ...REFERENCES.filter(has)];
}

/**
 * The results as one Markdown table (columns padded so it also reads as plain
 * text), footnotes after it: work | each framework | each peer / ours, where
 * ours is tsdl on the peer's device (tsdl for CPU peers, tsdl-webgpu for GPU
 * ones); a peer whose tsdl is not in the run gets no ratio column. A reference (PyTorch) gets
 * a column only where some row has a cell for it.
 */
export function formatTable(rows: readonly Row[], frameworks: readonly Framework[]): string {
  const notes = new Footnotes();
  const columns = columnsOf(frameworks, (r) => rows.some((row) => row.cells[r] !== undefined));
  const compared = columns.filter((f) => !isOurs(f) && frameworks.includes(OURS[DEVICE_OF[f]]));
  const header = ['work', ...columns, ...compared.map((p) => `${p} / ${OURS[DEVICE_OF[p]]}`)];
  const body = rows.map((r) => [
    r.work,
    ...columns.map((f) => cellText(r.cells[f], r.unit, notes, f)),
    ...compared.map((p) => ratio(r.cells[p], r.cells[OURS[DEVICE_OF[p]]])),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((line) => line[c].length)));
  const line = (cells: string[]): string => `| ${cells.map((s, c) => s.padEnd(widths[c])).join(' | ')} |`;
  const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
  if (notes.texts.length > 0) out.push('', ...notes.texts.map((t, i) => `[${i + 1}] ${t}`));
  return out.join('\n');
}

/** The correctness lines: what each framework computed on the same inputs. */
export function formatChecks(checks: readonly Check[], frameworks: readonly Framework[]): string {
  return checks
    .map((c) => {
      // Five significant digits: checks compare values that should agree closely.
      const values = columnsOf(frameworks, () => true)
        .filter((f) => c.values[f] !== undefined)
        .map((f) => `${f} ${(c.values[f] as number).toPrecision(5)}`);
      return `${c.ok ? 'ok      ' : 'MISMATCH'} ${c.what}: ${values.join(', ')} (${c.detail})`;
    })
    .join('\n');
}
