import { ArgumentError, AxisError, type Tensor, any, broadcastTo, concat, ones, tidy, unsqueeze } from '@tsdl/tensor';
import { quote } from '../../names';
import type { LayerArgs, PartialShape } from '../layer';
import { Merge, fmtShapes, mergeOptions } from './merge';

export interface ConcatenateArgs extends LayerArgs {
  /** The axis to join along (default -1, the last; 0 is the batch axis). */
  axis?: number;
}

/**
 * Keras' Concatenate: joins the inputs along `axis`. Every input has the same
 * rank and the same size on every other axis (the batch axis included).
 */
export class Concatenate extends Merge {
  readonly axis: number;

  constructor(config: ConcatenateArgs | number = {}) {
    const a = mergeOptions<ConcatenateArgs>('Concatenate', typeof config === 'number' ? { axis: config } : config, [
      'axis',
    ]);
    super(a);
    const axis: unknown = a.axis ?? -1;
    if (typeof axis !== 'number' || !Number.isSafeInteger(axis))
      throw new ArgumentError(`${this.label}: axis must be an integer, got ${quote(axis)}`);
    this.axis = axis;
  }

  override get className(): string {
    return 'Concatenate';
  }

  /** The axis as an index into shapes of rank `rank`. */
  private axisFor(rank: number, shapes: readonly PartialShape[]): number {
    if (this.axis < -rank || this.axis >= rank) {
      throw new AxisError(
        `${this.label}: axis ${this.axis} is out of range for inputs of rank ${rank}; got input shapes ${fmtShapes(shapes)}`,
      );
    }
    return this.axis < 0 ? this.axis + rank : this.axis;
  }

  protected mergeShapes(shapes: PartialShape[]): PartialShape {
    const rank = shapes[0].length;
    if (shapes.some((s) => s.length !== rank)) this.shapeError('inputs must have the same rank', shapes);
    const axis = this.axisFor(rank, shapes);
    const out: PartialShape = [...shapes[0]];
    for (let d = 0; d < rank; d++) {
      if (d === axis) {
        const sizes = shapes.map((s) => s[d]);
        out[d] = sizes.some((n) => n === null) ? null : (sizes as number[]).reduce((x, y) => x + y, 0);
        continue;
      }
      const known = new Set(shapes.map((s) => s[d]).filter((n) => n !== null));
      if (known.size > 1)
        this.shapeError(
          `inputs must have matching shapes except on the concatenation axis (${this.axis}); they differ on axis ${d}`,
          shapes,
        );
      out[d] = known.size === 1 ? [...known][0] : null;
    }
    return out;
  }

  protected merge(inputs: Tensor[]): Tensor {
    return concat(
      inputs,
      this.axisFor(
        inputs[0].rank,
        inputs.map((t) => [...t.shape]),
      ),
    );
  }

  /**
   * As Keras 3: each input's mask is widened to the input's shape (an input without one
   * counts as all real), the masks are joined like the inputs, and a position is real
   * where any value along the last axis is.
   */
  protected override mergeMask(inputs: Tensor[], masks: (Tensor | null)[]): Tensor | null {
    if (masks.every((m) => m === null)) return null;
    return tidy(() => {
      const full = inputs.map((x, i) => {
        const m = masks[i];
        if (m === null) return ones(x.shape, 'bool', { backend: x.backend });
        return m.rank < x.rank ? broadcastTo(unsqueeze(m, -1), x.shape) : m;
      });
      return any(
        concat(
          full,
          this.axisFor(
            inputs[0].rank,
            inputs.map((t) => [...t.shape]),
          ),
        ),
        -1,
      );
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}
