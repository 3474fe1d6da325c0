import { mulberry32 } from '@tsdl/data-mnist';
import type { Weight } from '../../run/session';
import type { GptShape } from './session';

/** `size` float32 values from N(0, std), by Box–Muller over a seeded stream. */
function normal(size: number, std: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i += 2) {
    const u = 1 - rand();
    const r = std * Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * rand();
    out[i] = r * Math.cos(a);
    if (i + 1 < size) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/**
 * Initial weights of the app's GPT (apps/char-gpt/src/model.ts) under its state
 * dict's names, Linear weights [out, in] as PyTorch and tsdl store them:
 * nanoGPT's N(0, 0.02), the residual projections N(0, 0.02/√(2·nLayer)),
 * LayerNorm weights one (no biases anywhere). Drawn here from seeds, so all
 * three frameworks start from the same values and their first losses agree.
 */
export function gptWeights(s: GptShape, seed = 31): Weight[] {
  const { vocab: V, blockSize: T, nEmbd: E, nLayer: L } = s;
  let k = seed;
  const w = (name: string, shape: number[], std: number): Weight => ({
    name,
    shape,
    values: normal(
      shape.reduce((a, b) => a * b, 1),
      std,
      k++,
    ),
  });
  const ones = (name: string): Weight => ({ name, shape: [E], values: new Float32Array(E).fill(1) });
  const proj = 0.02 / Math.sqrt(2 * L);
  const out: Weight[] = [w('wte.weight', [V, E], 0.02), w('wpe.weight', [T, E], 0.02)];
  for (let i = 0; i < L; i++) {
    const h = `h.${i}`;
    out.push(
      ones(`${h}.ln_1.weight`),
      w(`${h}.attn.c_attn.weight`, [3 * E, E], 0.02),
      w(`${h}.attn.c_proj.weight`, [E, E], proj),
      ones(`${h}.ln_2.weight`),
      w(`${h}.mlp.c_fc.weight`, [4 * E, E], 0.02),
      w(`${h}.mlp.c_proj.weight`, [E, 4 * E], proj),
    );
  }
  out.push(ones('ln_f.weight'));
  return out;
}
