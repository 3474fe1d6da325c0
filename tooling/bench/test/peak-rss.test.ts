import { describe, expect, it } from 'vitest';
import { RESULT_PREFIX, formatResultLine, ownPeakRss, parseResultLine } from '../src/run/peak-rss';

describe("the peak-RSS child's result line", () => {
  it('round-trips through formatResultLine and parseResultLine, among other output', () => {
    const r = { peakBytes: 641_728_512, beforeBytes: 452_984_832 };
    const out = `progress\n${RESULT_PREFIX}{"peakBytes":1,"beforeBytes":1}\n${formatResultLine(r)}\ntrailing\n`;
    // The last result line wins.
    expect(parseResultLine(out)).toEqual(r);
  });

  it('names what is wrong: no line, not JSON, a missing or non-positive number', () => {
    expect(() => parseResultLine('hello\n')).toThrow(/printed no 'PEAK_RSS' line/);
    expect(() => parseResultLine(`${RESULT_PREFIX}{oops`)).toThrow(/not JSON: PEAK_RSS \{oops/);
    expect(() => parseResultLine(`${RESULT_PREFIX}{"peakBytes":5}`)).toThrow(/no positive beforeBytes/);
    expect(() => parseResultLine(`${RESULT_PREFIX}{"peakBytes":0,"beforeBytes":5}`)).toThrow(/no positive peakBytes/);
    expect(() => parseResultLine(`${RESULT_PREFIX}null`)).toThrow(/no positive peakBytes/);
  });

  it("ownPeakRss reports this process's peak in bytes, at least its current resident set", () => {
    const rss = process.memoryUsage().rss;
    const r = ownPeakRss(123);
    expect(r.beforeBytes).toBe(123);
    expect(r.peakBytes).toBeGreaterThanOrEqual(rss);
    expect(r.peakBytes % 1024).toBe(0);
  });
});
