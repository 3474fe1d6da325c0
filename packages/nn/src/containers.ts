import { ArgumentError, type Tensor } from '@tsdl/tensor';
import { Module } from './module';

/** Runs modules in order, each on the previous one's output. Children are named '0', '1', … */
export class Sequential extends Module {
  private readonly layers: Module[] = [];

  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Adds a module at the end; returns this. */
  append(m: Module): this {
    this.registerModule(String(this.layers.length), m);
    this.layers.push(m);
    return this;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    const m = this.layers.at(i);
    if (!m) throw new ArgumentError(`Sequential.at: index ${i} is out of range for ${this.layers.length} modules`);
    return m;
  }

  get length(): number {
    return this.layers.length;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }

  override forward(x: Tensor): Tensor {
    // Each module tidies its own intermediates; the outputs of inner layers are
    // freed here as soon as the next layer has consumed them (the autograd
    // graph keeps what backward needs).
    let y = x;
    for (const m of this.layers) {
      const next = m.call(y);
      if (y !== x && next !== y && !y.isKept) y.dispose();
      y = next;
    }
    return y === x ? x.reshape(x.shape) : y;
  }
}

/** Holds modules in a list (registered as '0', '1', …) without defining forward (PyTorch's ModuleList). */
export class ModuleList extends Module {
  private readonly items: Module[] = [];

  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(m: Module): this {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }

  at(i: number): Module {
    const m = this.items.at(i);
    if (!m) throw new ArgumentError(`ModuleList.at: index ${i} is out of range for ${this.items.length} modules`);
    return m;
  }

  get length(): number {
    return this.items.length;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.items[Symbol.iterator]();
  }

  override forward(): Tensor {
    throw new ArgumentError('ModuleList: has no forward; iterate over it and call its modules');
  }
}
