import type { Backend, DataId } from './backend';
import type { DType } from './dtype';
import { BYTES_PER_ELEMENT } from './dtype';
import { countFreed } from './handles';

/**
 * A backend storage with a reference count. Tensors that are views of one
 * another share a Storage; the autograd graph retains the storages it saved
 * for backward. The last release frees the device memory.
 */
export class Storage {
  private refs = 1;

  constructor(
    readonly backend: Backend,
    readonly data: DataId,
    readonly dtype: DType,
    readonly size: number,
  ) {}

  get bytes(): number {
    return this.size * BYTES_PER_ELEMENT[this.dtype];
  }

  get alive(): boolean {
    return this.refs > 0;
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (this.refs <= 0) return;
    if (--this.refs === 0) {
      this.backend.free(this.data);
      countFreed(this.bytes);
    }
  }
}
