/**
 * Keras-style training progress:
 *
 *   Epoch 1/5
 *   1875/1875 [==============================] - 9s 5ms/step - loss: 0.2962 - accuracy: 0.9143
 *
 * In a terminal the bar redraws per batch with an ETA (drawn by cli-progress,
 * loaded only then, so browsers never load it); when output is not a TTY it
 * prints one line per epoch; at verbose 0 it prints nothing.
 */

import { cliProgress } from '#node-only';

export type Logs = Record<string, number>;

export interface ProgressSink {
  /** Whether batchEnd does anything (a live bar); fit reads batch logs only then. */
  readonly wantsBatchLogs: boolean;
  epochBegin(epoch: number, epochs: number, steps: number): void | Promise<void>;
  batchEnd(step: number, logs: Logs): void;
  epochEnd(logs: Logs): void;
}

const WIDTH = 30;

function fmtTime(seconds: number): string {
  if (seconds >= 3600)
    return `${Math.floor(seconds / 3600)}:${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
  return `${Math.round(seconds)}s`;
}

function fmtStep(secondsPerStep: number): string {
  if (secondsPerStep >= 1) return `${secondsPerStep.toFixed(0)}s/step`;
  if (secondsPerStep >= 1e-3) return `${(secondsPerStep * 1e3).toFixed(0)}ms/step`;
  return `${(secondsPerStep * 1e6).toFixed(0)}us/step`;
}

/** " - loss: 0.2962 - accuracy: 0.9143" */
export function fmtLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => ` - ${k}: ${Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(4) : v.toFixed(4)}`)
    .join('');
}

/** The bar itself: "[=========>....................]". */
export function drawBar(done: number, total: number): string {
  const filled = total <= 0 ? WIDTH : Math.min(WIDTH, Math.floor((done / total) * WIDTH));
  if (filled >= WIDTH) return `[${'='.repeat(WIDTH)}]`;
  const head = filled > 0 ? `${'='.repeat(filled - 1)}>` : '';
  return `[${head.padEnd(WIDTH, '.')}]`;
}

/** The final line of an epoch. */
export function epochLine(steps: number, seconds: number, logs: Logs): string {
  const w = String(steps).length;
  return `${String(steps).padStart(w)}/${steps} ${drawBar(steps, steps)} - ${fmtTime(seconds)} ${fmtStep(seconds / Math.max(steps, 1))}${fmtLogs(logs)}`;
}

type Write = (line: string) => void;

/** One line per epoch: for logs, CI and pipes. */
export class LineProgress implements ProgressSink {
  readonly wantsBatchLogs = false;
  private start = 0;
  private steps = 0;
  constructor(private readonly write: Write) {}

  epochBegin(epoch: number, epochs: number, steps: number): void {
    this.start = performance.now();
    this.steps = steps;
    this.write(`Epoch ${epoch + 1}/${epochs}`);
  }

  batchEnd(): void {}

  epochEnd(logs: Logs): void {
    this.write(epochLine(this.steps, (performance.now() - this.start) / 1000, logs));
  }
}

/** A live bar in a terminal, redrawn per batch (throttled by cli-progress). */
export class TerminalProgress implements ProgressSink {
  readonly wantsBatchLogs = true;
  private bar: any = null;
  private start = 0;
  private steps = 0;
  private logs: Logs = {};
  constructor(private readonly stream: NodeJS.WriteStream) {}

  async epochBegin(epoch: number, epochs: number, steps: number): Promise<void> {
    // Only made when stdout is a terminal, which a browser never has.
    const { SingleBar } = (await cliProgress()) as typeof import('cli-progress');
    this.start = performance.now();
    this.steps = steps;
    this.logs = {};
    this.stream.write(`Epoch ${epoch + 1}/${epochs}\n`);
    const w = String(steps).length;
    this.bar = new SingleBar({
      stream: this.stream,
      fps: 10,
      hideCursor: true,
      clearOnComplete: false,
      format: (_opts: unknown, params: { value: number; total: number }) => {
        const elapsed = (performance.now() - this.start) / 1000;
        const eta = params.value > 0 ? (elapsed / params.value) * (params.total - params.value) : 0;
        return `${String(params.value).padStart(w)}/${params.total} ${drawBar(params.value, params.total)} - ETA: ${fmtTime(eta)}${fmtLogs(this.logs)}`;
      },
    });
    this.bar.start(steps, 0);
  }

  batchEnd(step: number, logs: Logs): void {
    this.logs = logs;
    this.bar?.update(step + 1);
  }

  epochEnd(logs: Logs): void {
    this.bar?.stop();
    this.bar = null;
    // Replace the live line with Keras' final epoch line.
    this.stream.write(`\x1b[1A\x1b[2K\r${epochLine(this.steps, (performance.now() - this.start) / 1000, logs)}\n`);
  }
}

/** The sink for a verbosity: 0 silent, 1 a bar (a line per epoch when not a TTY), 2 a line per epoch. */
export function progressFor(verbose: 0 | 1 | 2, write: Write = (l) => console.log(l)): ProgressSink | null {
  if (verbose === 0) return null;
  const stdout = typeof process !== 'undefined' ? (process.stdout as NodeJS.WriteStream | undefined) : undefined;
  if (verbose === 1 && stdout?.isTTY) return new TerminalProgress(stdout);
  return new LineProgress(write);
}
