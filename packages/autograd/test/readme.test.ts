import { readFileSync } from 'node:fs';
import { backward, grad, noGrad } from '@tsdl/autograd';
import { type Tensor, randn, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { expectValues, useCpu } from './helpers';

useCpu();

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/**
 * The README example, step by step, with its results checked against values
 * worked out by hand. (tooling/readme-examples runs the block verbatim; this
 * checks the numbers it prints.) Each line exercised here is also asserted to
 * be in the README, so the two cannot drift apart silently.
 */
describe('README example', () => {
  it('uses the lines tested here', () => {
    for (const line of [
      'const w = randn([3, 1], { seed: 0 });',
      'const x = tensor([[1, 2, 3]]);',
      'const loss = x.matmul(w).square().sum();',
      'const df = grad((t) => t.sin().sum());',
      'noGrad(() => w.assign(w.sub(w.grad!.mul(0.1))));',
    ]) {
      expect(readme).toContain(line);
    }
  });

  it('PyTorch style: w.grad = 2 (x·w) xᵀ, then a noGrad update', () => {
    tidy(() => {
      const w = randn([3, 1], { seed: 0 });
      w.requiresGrad = true;
      const x = tensor([[1, 2, 3]]);
      const loss = x.matmul(w).square().sum();
      backward(loss);
      const [w0, w1, w2] = Array.from(w.dataSync());
      const xw = Math.fround(w0 + 2 * w1 + 3 * w2);
      expectValues(w.grad, [2 * xw, 4 * xw, 6 * xw], 1e-5, 1e-5);
      expect(w.grad!.toString()).toMatch(/^Tensor\(\[\[.*\]\], shape=\[3,1\], dtype=float32\)$/s);

      noGrad(() => w.assign(w.sub(w.grad!.mul(0.1))));
      expectValues(w, [w0 - 0.2 * xw, w1 - 0.4 * xw, w2 - 0.6 * xw], 1e-5, 1e-5);
      expect(w.requiresGrad).toBe(true);
      expect(w.isLeaf).toBe(true); // the update was not recorded
    });
  });

  it('functional style: grad of Σ sin is cos, printed as the README says', () => {
    tidy(() => {
      const df = grad((t: Tensor) => t.sin().sum());
      const g = df(tensor([0, 1])) as Tensor;
      expectValues(g, [1, Math.cos(1)], 1e-6, 1e-6);
      const said = /console\.log\(\(df\(tensor\(\[0, 1\]\)\) as any\)\.toString\(\)\); \/\/ => (.*)$/m.exec(readme);
      expect(said, 'the README line that prints cos(x)').not.toBeNull();
      expect(g.toString()).toBe(said![1].trim());
    });
  });
});
