import { cpu } from '@tsdl/backend-cpu';
import { memory, setBackend } from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitLine } from '../src/fit';

describe('fit-line app', () => {
  beforeAll(() => {
    setBackend(cpu());
  });

  it('recovers the true weight and bias of a noisy line', async () => {
    const before = memory().numTensors;
    const r = await fitLine({ trueWeight: -1.5, trueBias: 0.75, steps: 300, seed: 7 });
    expect(r.weight).toBeCloseTo(-1.5, 1);
    expect(r.bias).toBeCloseTo(0.75, 1);
    // The noise has std 0.1, so the best achievable MSE is about 0.01.
    expect(r.loss).toBeGreaterThan(0.005);
    expect(r.loss).toBeLessThan(0.02);
    expect(memory().numTensors).toBe(before);
  });
});
