import { describe, expect, it } from 'vitest';
import { etaSeconds, formatDuration } from '../src/eta';

describe('etaSeconds', () => {
  it('extrapolates the time per step to the steps left', () => {
    // 30 of 120 steps in 12 s: 0.4 s a step, 90 steps left.
    expect(etaSeconds(12, 30, 120)).toBeCloseTo(36, 10);
    expect(etaSeconds(50, 120, 120)).toBe(0);
  });

  it('has no estimate before the first step', () => {
    expect(etaSeconds(0, 0, 100)).toBeNull();
    expect(etaSeconds(3, 0, 100)).toBeNull();
  });
});

describe('formatDuration', () => {
  it('writes seconds, minutes and hours', () => {
    expect(formatDuration(42.4)).toBe('42 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(3720)).toBe('1 h 02 min');
  });
});
