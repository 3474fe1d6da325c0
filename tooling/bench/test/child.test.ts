import { describe, expect, it } from 'vitest';
import { RESULT_PREFIX, formatResultLine, parseResultLine } from '../src/run/child';
import { checkPeakRss, ownPeakRss } from '../src/run/peak-rss';
import { checkMlpChildResult } from '../src/work/mlp/child';

describe("a bench child's result line", () => {
  it('round-trips through formatResultLine and parseResultLine, among other output', () => {
    const r = { peak: { peakBytes: 641_728_512, beforeBytes: 452_984_832 }, x: [1, 2] };
    const out = `progress\n${RESULT_PREFIX}{"old":1}\n${formatResultLine(r)}\ntrailing\n`;
    // The last result line wins.
    expect(parseResultLine(out)).toEqual(r);
  });

  it('names what is wrong: no line, not JSON', () => {
    expect(() => parseResultLine('hello\n')).toThrow(/printed no 'BENCH_CHILD_RESULT' line/);
    expect(() => parseResultLine(`${RESULT_PREFIX}{oops`)).toThrow(/not JSON: BENCH_CHILD_RESULT \{oops/);
  });
});

describe('peak RSS', () => {
  it("ownPeakRss reports this process's peak in bytes, at least its current resident set", () => {
    const rss = process.memoryUsage().rss;
    const r = ownPeakRss(123);
    expect(r.beforeBytes).toBe(123);
    expect(r.peakBytes).toBeGreaterThanOrEqual(rss);
    expect(r.peakBytes % 1024).toBe(0);
  });

  it('checkPeakRss names a missing or non-positive number', () => {
    expect(checkPeakRss({ peakBytes: 5, beforeBytes: 4 })).toEqual({ peakBytes: 5, beforeBytes: 4 });
    expect(() => checkPeakRss({ peakBytes: 5 })).toThrow(/no positive beforeBytes/);
    expect(() => checkPeakRss({ peakBytes: 0, beforeBytes: 5 })).toThrow(/no positive peakBytes/);
    expect(() => checkPeakRss(null)).toThrow(/no positive peakBytes/);
  });
});

describe("the MLP child's result", () => {
  const peak = { peakBytes: 10, beforeBytes: 5 };
  it('keeps times, notes, failures and the warm-up loss', () => {
    const measured = {
      epoch: { kind: 'time', seconds: 1.5, note: 'extrapolated' },
      step: { kind: 'time', seconds: 0.0008 },
      warmupLoss: 1.25,
    };
    expect(checkMlpChildResult({ measured, peak })).toEqual({
      measured: {
        epoch: { kind: 'time', seconds: 1.5, note: 'extrapolated' },
        step: { kind: 'time', seconds: 0.0008, note: undefined },
        warmupLoss: 1.25,
      },
      peak,
    });
    const failed = { kind: 'failed', reason: 'boom' };
    expect(checkMlpChildResult({ measured: { epoch: failed, step: failed }, peak }).measured.epoch).toEqual(failed);
  });

  it('names what is wrong', () => {
    const t = { kind: 'time', seconds: 1 };
    expect(() => checkMlpChildResult({ peak })).toThrow(/no measurement/);
    expect(() => checkMlpChildResult({ measured: { epoch: { kind: 'time', seconds: 0 }, step: t }, peak })).toThrow(
      /epoch is neither a positive time nor a failure/,
    );
    expect(() => checkMlpChildResult({ measured: { epoch: t, step: { kind: 'failed' } }, peak })).toThrow(
      /step is neither/,
    );
    expect(() => checkMlpChildResult({ measured: { epoch: t, step: t, warmupLoss: '1' }, peak })).toThrow(/warmupLoss/);
    expect(() => checkMlpChildResult({ measured: { epoch: t, step: t } })).toThrow(/no positive peakBytes/);
  });
});
