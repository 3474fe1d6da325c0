import { readMnistArrays } from '@tsdl/data-mnist';
import { describe, expect, it } from 'vitest';
import { centreOfMass, inkBounds, resampleArea, toMnist } from '../src/preprocess';

/** A width×height page with the rectangle [x0, x1) × [y0, y1) fully inked. */
function page(width: number, height: number, rects: [number, number, number, number][]): Float32Array {
  const ink = new Float32Array(width * height);
  for (const [x0, y0, x1, y1] of rects)
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) ink[y * width + x] = 1;
  return ink;
}

const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);

describe('toMnist', () => {
  it('gives null for a blank page', () => {
    expect(toMnist(new Float32Array(280 * 280), 280, 280)).toBeNull();
  });

  it('scales a 90×200 bar to 9×20 and moves its centre of mass to pixel 14', () => {
    const out = toMnist(page(280, 280, [[37, 51, 127, 251]]), 280, 280)!;
    // Scale 20/200 = 0.1 exactly: a block of ones 9 wide (centre 4 → columns 10..18)
    // and 20 tall (centre 9.5, a half-pixel tie rounded down the page → rows 5..24).
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++)
        expect(out[y * 28 + x], `(${x}, ${y})`).toBeCloseTo(x >= 10 && x < 19 && y >= 5 && y < 25 ? 1 : 0, 5);
    }
    const c = centreOfMass(out, 28, 28);
    expect(c.x).toBeCloseTo(14, 5);
    expect(c.y).toBeCloseTo(14.5, 5);
  });

  it('does not depend on where on the page the digit was drawn', () => {
    const shape = (dx: number, dy: number): [number, number, number, number][] => [
      [dx, dy, dx + 90, dy + 25],
      [dx + 65, dy, dx + 90, dy + 170],
    ];
    const a = toMnist(page(280, 280, shape(20, 30)), 280, 280)!;
    const b = toMnist(page(280, 280, shape(150, 95)), 280, 280)!;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('keeps the ink mass (times scale²) when shrinking by a fractional factor', () => {
    // A 130×77 block: scale 20/130; area averaging conserves mass × scale².
    const ink = page(200, 150, [[10, 20, 140, 97]]);
    const scale = 20 / 130;
    const small = resampleArea(ink, 200, inkBounds(ink, 200, 150)!, scale, 20, Math.round(77 * scale));
    expect(sum(small)).toBeCloseTo(130 * 77 * scale * scale, 3);
    const out = toMnist(ink, 200, 150)!;
    expect(sum(out)).toBeCloseTo(130 * 77 * scale * scale, 3);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
  });

  it('gives back real MNIST digits drawn ten times larger', async () => {
    // MNIST digits are already in a 20-pixel box and centred by mass, so a
    // 10× nearest-neighbour enlargement should come back unchanged.
    const { test } = await readMnistArrays({ limit: { train: 1, test: 200 } });
    let same = 0;
    let offCentre = 0;
    for (let i = 0; i < test.count; i++) {
      const digit = test.images.subarray(i * 784, (i + 1) * 784);
      const big = new Float32Array(280 * 280);
      for (let y = 0; y < 280; y++)
        for (let x = 0; x < 280; x++) big[y * 280 + x] = digit[Math.floor(y / 10) * 28 + Math.floor(x / 10)] / 255;
      const c = centreOfMass(Float32Array.from(digit), 28, 28);
      if (Math.abs(c.x - 14) > 0.5 || Math.abs(c.y - 14) > 0.5) offCentre++;
      const out = toMnist(big, 280, 280)!;
      let diff = 0;
      for (let k = 0; k < 784; k++) diff = Math.max(diff, Math.abs(out[k] - digit[k] / 255));
      if (diff < 1e-6) same++;
    }
    // The original centring puts each centre within half a pixel of pixel 14 …
    expect(offCentre).toBe(0);
    // … and 196 of these 200 come back bit for bit (the rest differ by faint
    // edge pixels that count as paper, or a half-pixel tie).
    expect(same).toBeGreaterThanOrEqual(190);
  });
});
