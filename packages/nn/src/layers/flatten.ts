import { type Tensor, flatten } from '@tsdl/tensor';
import { Module } from '../module';

/** Flattens axes startDim..endDim into one (default: everything but the batch axis, as PyTorch). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Returns its input (a placeholder, e.g. to switch a layer off). */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    return x.reshape(x.shape);
  }
}
