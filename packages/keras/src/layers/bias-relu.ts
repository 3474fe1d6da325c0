import { gradientRule, registerGradient } from '@tsdl/autograd';
import { type Tensor, gt, isGradEnabled, where } from '@tsdl/tensor';
import { E, dispatch, runElementwise } from '@tsdl/tensor/backend';

/**
 * relu(y + bias) as one elementwise kernel, so a Dense layer with a bias and
 * relu costs its matmul plus one pass over the output (not an add and a relu),
 * and its backward one pass (not relu's compare, cast and multiply). The
 * gradient reads only the output: relu'(z) = [out > 0], with out = max(z, 0)
 * exactly as `relu` computes it. The bias gradient is the same tensor, summed
 * over the broadcast axes by autograd's unbroadcast.
 */

const OP = '@tsdl/keras:biasRelu';
const FORWARD = [E.b('max', E.b('add', E.in(0), E.in(1)), E.c(0))];
const BACKWARD = [E.where(E.b('gt', E.in(0), E.c(0)), E.in(1), E.c(0))];

/** Registered on first use rather than at import, so no bundler can drop it as a side effect. */
function ensureRule(): void {
  if (gradientRule(OP)) return;
  registerGradient(
    OP,
    (dy, { output }) => {
      // Under createGraph the gradient must itself be differentiable: use recorded ops there.
      const g = isGradEnabled()
        ? where(gt(output, 0), dy, 0)
        : runElementwise(dy.backend, BACKWARD, [output, dy], [], output.shape, ['float32'], `${OP}:grad`)[0];
      return [g, g];
    },
    { inputs: false },
  );
}

/** max(y + bias, 0); y float32 [..., units], bias float32 [units] (the caller has checked the shapes). */
export function biasRelu(y: Tensor, bias: Tensor): Tensor {
  ensureRule();
  return dispatch(
    OP,
    [y, bias],
    undefined,
    (backend) => runElementwise(backend, FORWARD, [y, bias], [], y.shape, ['float32'], OP)[0],
  );
}
