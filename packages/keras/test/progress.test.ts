import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dense, Sequential } from '../src/index';
import { drawBar, epochLine, fmtLogs } from '../src/progress';
import { blobs, useCpu } from './helpers';

useCpu();

const ttyDescriptor = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');

/** Makes process.stdout look like a terminal or a pipe for the progress sink's check. */
function stdoutIsTTY(value: boolean): void {
  Object.defineProperty(process.stdout, 'isTTY', { value, configurable: true, writable: true });
}

afterEach(() => {
  if (ttyDescriptor) Object.defineProperty(process.stdout, 'isTTY', ttyDescriptor);
  else delete (process.stdout as { isTTY?: boolean }).isTTY;
  vi.restoreAllMocks();
});

/** Everything fit prints: console.log lines and raw stdout writes. */
async function capture(
  verbose: 0 | 1 | 2,
  epochs = 2,
): Promise<{ log: string[]; raw: string[]; history: Record<string, number[]> }> {
  const { x, y } = blobs(20, 1);
  const m = new Sequential([new Dense({ units: 2, activation: 'softmax', inputShape: [2], seed: 1 })]);
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const log: string[] = [];
  const raw: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void log.push(a.join(' ')));
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    raw.push(String(chunk));
    return true;
  }) as typeof process.stdout.write);
  const h = await m.fit(x, y, { epochs, batchSize: 8, verbose, validationSplit: 0.2 });
  vi.restoreAllMocks();
  return { log, raw, history: h.history };
}

/** Keras' end-of-epoch line for 2 steps with these logs. */
const lineFor = (h: Record<string, number[]>, e: number) =>
  new RegExp(
    `^2/2 \\[={30}\\] - \\d+s \\d+(us|ms|s)/step - loss: ${h.loss[e].toFixed(4)} - accuracy: ${h.accuracy[e].toFixed(4)}` +
      ` - val_loss: ${h.val_loss[e].toFixed(4)} - val_accuracy: ${h.val_accuracy[e].toFixed(4)}$`,
  );

describe('progress output', () => {
  it('verbose 0 prints nothing', async () => {
    for (const tty of [false, true]) {
      stdoutIsTTY(tty);
      const { log, raw } = await capture(0);
      expect(log).toEqual([]);
      expect(raw).toEqual([]);
    }
  });

  it('when stdout is not a terminal, verbose 1 prints the epoch header and one summary line per epoch', async () => {
    stdoutIsTTY(false);
    const { log, raw, history } = await capture(1, 3);
    expect(raw).toEqual([]);
    expect(log).toHaveLength(6);
    for (let e = 0; e < 3; e++) {
      expect(log[2 * e]).toBe(`Epoch ${e + 1}/3`);
      expect(log[2 * e + 1]).toMatch(lineFor(history, e));
    }
  });

  it('verbose 2 prints the same lines even in a terminal', async () => {
    stdoutIsTTY(true);
    const { log, raw, history } = await capture(2);
    expect(raw).toEqual([]);
    expect(log[0]).toBe('Epoch 1/2');
    expect(log[3]).toMatch(lineFor(history, 1));
    expect(log).toHaveLength(4);
  });

  it('in a terminal, verbose 1 draws a live bar and ends each epoch with the summary line', async () => {
    stdoutIsTTY(true);
    const { log, raw, history } = await capture(1);
    expect(log).toEqual([]);
    const text = raw.join('');
    expect(text).toContain('Epoch 1/2\n');
    expect(text).toContain('Epoch 2/2\n');
    // The bar's own redraws, then the final line replacing it (cursor up, clear line).
    expect(text).toMatch(/[12]\/2 \[[=>.]{30}\] - ETA: \d+s/);
    const finals = text
      .split('\x1b[1A\x1b[2K\r')
      .slice(1)
      .map((s) => s.split('\n')[0]);
    expect(finals).toHaveLength(2);
    finals.forEach((line, e) => expect(line).toMatch(lineFor(history, e)));
  });
});

describe('progress formatting', () => {
  it('draws the Keras bar and formats logs to 4 decimals (small values in exponent form)', () => {
    expect(drawBar(0, 10)).toBe(`[${'.'.repeat(30)}]`);
    expect(drawBar(5, 10)).toBe(`[${'='.repeat(14)}>${'.'.repeat(15)}]`);
    expect(drawBar(10, 10)).toBe(`[${'='.repeat(30)}]`);
    expect(fmtLogs({ loss: 0.29617, accuracy: 0.91432, lr: 0.0001 })).toBe(
      ' - loss: 0.2962 - accuracy: 0.9143 - lr: 1.0000e-4',
    );
    expect(epochLine(1875, 9, { loss: 0.2962 })).toBe(`1875/1875 [${'='.repeat(30)}] - 9s 5ms/step - loss: 0.2962`);
    expect(epochLine(3, 90, {})).toBe(`3/3 [${'='.repeat(30)}] - 1:30 30s/step`);
  });
});
