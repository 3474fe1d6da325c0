import { type Tensor, add, maximum, minimum, mul, reshape, sub, tidy } from '@tsdl/tensor';
import type { LayerArgs, PartialShape } from '../layer';
import { Merge, mergeOptions } from './merge';

/**
 * Keras' elementwise merges: Add, Subtract, Multiply, Average, Maximum, Minimum.
 * As in Keras, the inputs' sample shapes broadcast against each other, aligned at
 * their last axes (a size 1 stretches; a shorter shape gains leading size-1 axes
 * after the batch axis), and every input has the same batch size.
 */
abstract class ElementwiseMerge extends Merge {
  protected mergeShapes(shapes: PartialShape[]): PartialShape {
    const batches = new Set(shapes.map((s) => s[0]).filter((d) => d !== null));
    if (batches.size > 1) this.shapeError('cannot merge tensors with different batch sizes', shapes);
    let out: PartialShape = shapes[0].slice(1);
    for (const s of shapes.slice(1)) {
      const next = broadcastSamples(out, s.slice(1));
      if (next === null)
        this.shapeError(
          'inputs have incompatible shapes (each axis must be equal or 1, aligned at the last axis)',
          shapes,
        );
      out = next;
    }
    return [batches.size === 1 ? [...batches][0] : null, ...out];
  }

  protected merge(inputs: Tensor[]): Tensor {
    return tidy(() => {
      const rank = Math.max(...inputs.map((t) => t.rank));
      // Keras puts a lower-rank input's missing axes right after the batch axis.
      const aligned = inputs.map((t) =>
        t.rank === rank
          ? t
          : reshape(t, [t.shape[0], ...new Array<number>(rank - t.rank).fill(1), ...t.shape.slice(1)]),
      );
      return this.combine(aligned);
    });
  }

  /** The merge of inputs of equal rank (broadcasting). */
  protected abstract combine(inputs: Tensor[]): Tensor;
}

/** Two sample shapes broadcast as Keras' `_compute_elemwise_op_output_shape` does, or null when they do not. */
function broadcastSamples(a: PartialShape, b: PartialShape): PartialShape | null {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  const out: PartialShape = long.slice(0, long.length - short.length);
  for (let k = 0; k < short.length; k++) {
    const i = long[long.length - short.length + k];
    const j = short[k];
    if (i === null || j === null) out.push(null);
    else if (i === 1) out.push(j);
    else if (j === 1 || i === j) out.push(i);
    else return null;
  }
  return out;
}

const fold = (inputs: Tensor[], op: (a: Tensor, b: Tensor) => Tensor): Tensor => inputs.slice(1).reduce(op, inputs[0]);

/** The sum of the inputs: `new Add().apply([a, b])`. */
export class Add extends ElementwiseMerge {
  constructor(config: LayerArgs = {}) {
    super(mergeOptions('Add', config, []));
  }
  override get className(): string {
    return 'Add';
  }
  protected combine(inputs: Tensor[]): Tensor {
    return fold(inputs, add);
  }
}

/** The first input minus the second (exactly two inputs). */
export class Subtract extends ElementwiseMerge {
  protected override readonly minInputs: number = 2;
  protected override readonly maxInputs: number = 2;
  constructor(config: LayerArgs = {}) {
    super(mergeOptions('Subtract', config, []));
  }
  override get className(): string {
    return 'Subtract';
  }
  protected combine(inputs: Tensor[]): Tensor {
    return sub(inputs[0], inputs[1]);
  }
}

/** The elementwise product of the inputs. */
export class Multiply extends ElementwiseMerge {
  constructor(config: LayerArgs = {}) {
    super(mergeOptions('Multiply', config, []));
  }
  override get className(): string {
    return 'Multiply';
  }
  protected combine(inputs: Tensor[]): Tensor {
    return fold(inputs, mul);
  }
}

/** The mean of the inputs. */
export class Average extends ElementwiseMerge {
  constructor(config: LayerArgs = {}) {
    super(mergeOptions('Average', config, []));
  }
  override get className(): string {
    return 'Average';
  }
  protected combine(inputs: Tensor[]): Tensor {
    return fold(inputs, add).div(inputs.length);
  }
}

/** The elementwise maximum of the inputs. */
export class Maximum extends ElementwiseMerge {
  constructor(config: LayerArgs = {}) {
    super(mergeOptions('Maximum', config, []));
  }
  override get className(): string {
    return 'Maximum';
  }
  protected combine(inputs: Tensor[]): Tensor {
    return fold(inputs, maximum);
  }
}

/** The elementwise minimum of the inputs. */
export class Minimum extends ElementwiseMerge {
  constructor(config: LayerArgs = {}) {
    super(mergeOptions('Minimum', config, []));
  }
  override get className(): string {
    return 'Minimum';
  }
  protected combine(inputs: Tensor[]): Tensor {
    return fold(inputs, minimum);
  }
}
