import { type Tensor, dispose, isGradEnabled, reshape } from '@tsdl/tensor';
import { layerNormGrad, layerNormGradComposed } from '@tsdl/tensor/internal';
import { type RuleTable, rule } from '../registry';

/**
 * layerNorm's rule: one backend kernel (`layerNormGrad`: dx, dγ and dβ from x, γ and dy,
 * each row's statistics recomputed), or under createGraph the same formula from recorded
 * ops (the fused kernel is not itself differentiable). Rows are the op's: x as [N, D].
 */
export const layerNormRules = {
  layerNorm: rule(
    (dy, { inputs, attrs, needs, inputShapes }) => {
      const x = inputs[0] as Tensor;
      const gamma = attrs.gamma ? (inputs[1] as Tensor) : null;
      const d = attrs.size;
      const rows = x.size / d;
      const x2 = reshape(x, [rows, d]);
      const dy2 = reshape(dy, [rows, d]);
      const g2 = gamma && reshape(gamma, [d]);
      const [dx, dg, db] = isGradEnabled()
        ? layerNormGradComposed(x2, g2, dy2, attrs.epsilon)
        : layerNormGrad(x2, g2, dy2, attrs.epsilon);
      const out: (Tensor | null)[] = [needs[0] ? reshape(dx, inputShapes[0]) : null];
      if (attrs.gamma) out.push(needs[1] ? reshape(dg, inputShapes[1]) : null);
      if (attrs.beta) out.push(needs[out.length] ? reshape(db, inputShapes[out.length]) : null);
      dispose([x2, dy2, dx, dg, db, ...(g2 ? [g2] : [])]);
      return out;
    },
    { output: false },
  ),
} satisfies Partial<RuleTable>;
