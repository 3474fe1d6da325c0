import { type Backend, type Tensor, dispose, full } from '@tsdl/tensor';

/**
 * The backward seeds 1/m with which fit differentiates a batch's loss sum (the gradient
 * of the batch mean), one kept float32 scalar per batch size: a fit sees at most two
 * sizes (the batch size and a smaller last batch), so a step writes nothing new to the
 * device for its seed. backward takes a view of the seed, never the seed itself, so
 * gradients made from it do not share its handle.
 */
export class InverseSeeds {
  private readonly seeds = new Map<number, Tensor>();

  /** The scalar 1/m on `backend`. */
  get(m: number, backend: Backend): Tensor {
    let s = this.seeds.get(m);
    if (s === undefined || s.backend !== backend) {
      s?.dispose();
      s = full([], 1 / m, 'float32', { backend }).keep();
      this.seeds.set(m, s);
    }
    return s;
  }

  dispose(): void {
    dispose([...this.seeds.values()]);
    this.seeds.clear();
  }
}
