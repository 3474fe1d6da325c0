/**
 * A one-line progress bar for the iterations between evaluations. On a
 * terminal it redraws in place with a carriage return; into a file or pipe it
 * writes nothing (the evaluation lines say where the run is), so logs stay
 * readable.
 */
export class ProgressBar {
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stdout,
    private readonly width = 30,
  ) {}

  /** Redraws the bar: `done` of `total` iterations, the latest loss and the rate. */
  update(done: number, total: number, loss: number, itersPerSecond: number): void {
    if (!this.stream.isTTY) return;
    this.stream.write(`\r${progressLine(done, total, loss, itersPerSecond, this.width)}`);
    this.shown = true;
  }

  /** Erases the bar so the next line starts clean. */
  clear(): void {
    if (!this.shown) return;
    this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}

/** `[#########.....] 1200/2000 loss 1.8123 3.1 it/s`: the bar's text, without the carriage return. */
export function progressLine(done: number, total: number, loss: number, itersPerSecond: number, width = 30): string {
  const filled = Math.round((Math.min(done, total) / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} loss ${loss.toFixed(4)} ${itersPerSecond.toFixed(2)} it/s`;
}
