import { matmul, transpose, type Tensor } from '@tsdl/tensor';
import { type RuleTable, rule } from '../registry';

/** Whether a matrix is stored column by column: a transposed view of a dense matrix (nn.Linear's Wᵀ). */
function isColumnMajor(t: Tensor): boolean {
  return t.rank === 2 && t.shape[0] > 1 && t.strides[0] === 1 && t.strides[1] === t.shape[0];
}

/**
 * matmul: dA = dY · Bᵀ and dB = Aᵀ · dY. The transposes are views, so the
 * backend sees transposed strides and needs no copy. Broadcast batch dims are
 * summed back by the engine.
 *
 * A matrix operand stored column-major (a transposed view, as nn.Linear's
 * weight enters as Wᵀ) gets its gradient in the same layout, computed as the
 * transpose of the transposed product (dBᵀ = dYᵀ · A): the same product with
 * other operand flags, but the gradient that reaches the stored weight is
 * then dense, as PyTorch's mm backward arranges it. A dense gradient is what
 * an optimizer's multi-tensor kernel takes (and reads faster).
 */
export const linalgRules = {
  matmul: rule(
    (dy, { inputs, needs }) => {
      const [a, b] = inputs as Tensor[];
      // Only plain matrix products: a batched one's gradient is summed over broadcast dims by the engine.
      const matrices = a.rank === 2 && b.rank === 2;
      return [
        needs[0]
          ? matrices && isColumnMajor(a)
            ? transpose(matmul(b, dy, { transposeB: true }))
            : matmul(dy, b, { transposeB: true })
          : null,
        needs[1]
          ? matrices && isColumnMajor(b)
            ? transpose(matmul(dy, a, { transposeA: true }))
            : matmul(a, dy, { transposeA: true })
          : null,
      ];
    },
    { output: false },
  ),
} satisfies Partial<RuleTable>;
