import { ArgumentError, DTypeError, DisposedError, ShapeError, Tensor } from '@tsdl/tensor';
import { detach, fmtShape, shapesEqual } from '@tsdl/tensor/internal';

/**
 * Makes `t` a parameter: a float32 leaf tensor with `requiresGrad = true`,
 * exempted from `tidy()` (kept) so it lives until its module is disposed.
 * A non-leaf tensor (one made by a recorded op) is detached first; the
 * detached handle shares its storage and the caller still owns `t`.
 */
export function parameter(t: Tensor): Tensor {
  if (t.dtype !== 'float32')
    throw new DTypeError(`parameter: parameters must be float32, got ${t.dtype} of shape ${fmtShape(t.shape)}`);
  const p = t.isLeaf ? t : detach(t);
  p.requiresGrad = true;
  return p.keep();
}

export interface LoadStateDictOptions {
  /** Missing and unexpected keys are errors (default true). Shape mismatches are always errors. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface RegisterBufferOptions {
  /** Whether the buffer appears in stateDict() (default true). */
  persistent?: boolean;
}

/**
 * The base class of every layer, loss and container (PyTorch's nn.Module).
 *
 * Subclasses implement `forward` and register their state explicitly:
 * `registerParameter` (trainable leaves), `registerBuffer` (state that is not
 * trained, such as BatchNorm's running statistics) and `registerModule`
 * (children). Names of nested state are dotted paths: `0.weight`, `fc1.bias`.
 *
 * Run a module with `m.call(x)` (or `m.asFunction()` for a plain function).
 * Parameters and buffers are kept tensors: `tidy()` never frees them, and
 * `dispose()` frees all of them.
 */
export abstract class Module {
  /** Training mode (true) or evaluation mode (false); set with train() / eval(). */
  training = true;
  private readonly _parameters = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, { tensor: Tensor; persistent: boolean }>();
  private readonly _modules = new Map<string, Module>();
  private _disposed = false;

  /**
   * The computation; call the module through `call` rather than this directly.
   * Most modules take and return tensors; a recurrent layer, as in PyTorch,
   * also takes its initial state and returns `[output, state]`, so the base
   * signature is open and `call` returns what the subclass's forward returns.
   */
  abstract forward(...inputs: any[]): any;

  /** Runs `forward` (PyTorch's `module(x)`). */
  call(...inputs: Parameters<this['forward']>): ReturnType<this['forward']> {
    if (this._disposed)
      throw new DisposedError(`${this.constructor.name}: the module was disposed and cannot be called`);
    return (this.forward as (...xs: unknown[]) => ReturnType<this['forward']>)(...inputs);
  }

  /** The module as a plain function, e.g. to pass to `valueAndGrad` or `Array.map`. */
  asFunction(): (...inputs: Parameters<this['forward']>) => ReturnType<this['forward']> {
    return (...inputs) => this.call(...inputs);
  }

  // ---- registration ----------------------------------------------------------

  /** Registers `t` as a parameter under `name` (made a kept, requires-grad leaf by `parameter`) and returns it. */
  registerParameter(name: string, t: Tensor): Tensor {
    this.checkName('registerParameter', name);
    const p = parameter(t);
    this._parameters.set(name, p);
    return p;
  }

  /** Registers non-trainable state (kept, no gradient) under `name` and returns it. */
  registerBuffer(name: string, t: Tensor, options: RegisterBufferOptions = {}): Tensor {
    this.checkName('registerBuffer', name);
    t.keep();
    this._buffers.set(name, { tensor: t, persistent: options.persistent ?? true });
    return t;
  }

  /** Registers a child module under `name` and returns it. */
  registerModule<M extends Module>(name: string, m: M): M {
    this.checkName('registerModule', name);
    if (!(m instanceof Module)) throw new ArgumentError(`registerModule: '${name}' is not a Module`);
    this._modules.set(name, m);
    return m;
  }

  private checkName(op: string, name: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new ArgumentError(`${op}: name must be a non-empty string without dots, got ${JSON.stringify(name)}`);
    }
    const taken = this._parameters.has(name) || this._buffers.has(name) || this._modules.has(name);
    if (taken) throw new ArgumentError(`${op}: '${name}' is already registered on ${this.constructor.name}`);
  }

  // ---- traversal --------------------------------------------------------------

  /** Direct children, in registration order. */
  children(): Module[] {
    return [...this._modules.values()];
  }

  namedChildren(): [string, Module][] {
    return [...this._modules.entries()];
  }

  /** This module and every descendant (each once), depth first, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [k, c] of m._modules) visit(c, name === '' ? k : `${name}.${k}`);
    };
    visit(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * Every parameter with its dotted name (`fc1.weight`), own parameters first
   * then each child's, in registration order. A tensor shared by several
   * modules is listed once, under its first name.
   */
  namedParameters(): [string, Tensor][] {
    return this.collect((m) => [...m._parameters.entries()], false);
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer with its dotted name (`bn.running_mean`). */
  namedBuffers(): [string, Tensor][] {
    return this.collect((m) => [...m._buffers.entries()].map(([k, b]) => [k, b.tensor] as [string, Tensor]), false);
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  private collect(own: (m: Module) => [string, Tensor][], includeDuplicates: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, t] of own(m)) {
        if (!includeDuplicates && seen.has(t)) continue;
        seen.add(t);
        out.push([prefix === '' ? k : `${prefix}.${k}`, t]);
      }
    }
    return out;
  }

  /** Number of trainable scalars (shared parameters counted once). */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Calls `fn` on every module (children first, then this one, as PyTorch) and returns this. */
  apply(fn: (m: Module) => void): this {
    for (const c of this._modules.values()) c.apply(fn);
    fn(this);
    return this;
  }

  // ---- modes and gradients ------------------------------------------------------

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Clears `.grad` of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Turns gradient tracking of every parameter on or off (freezing); returns this. */
  requiresGrad(on = true): this {
    for (const p of this.parameters()) p.requiresGrad = on;
    return this;
  }

  // ---- state ------------------------------------------------------------------------

  /**
   * Parameters and persistent buffers by dotted name (`0.weight`,
   * `bn.running_var`). The values are the module's own tensors, not copies:
   * do not dispose them, and clone them to snapshot values that training
   * will later replace.
   *
   * A module (or tensor) registered under several names is listed under
   * every one of them, as PyTorch's state_dict does (`Sequential(l, relu, l)`
   * has `0.weight` and `2.weight`), so PyTorch's dict of such a model loads
   * strictly; the names share one tensor.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    // Only the modules on the current path: a module reached twice by different
    // paths is listed twice, but one that contains itself would never end.
    const path = new Set<Module>();
    const visit = (m: Module, prefix: string): void => {
      if (path.has(m)) {
        throw new ArgumentError(`stateDict: ${m.constructor.name} contains itself (again at '${prefix.slice(0, -1)}')`);
      }
      path.add(m);
      for (const [k, t] of m._parameters) out[prefix + k] = t;
      for (const [k, b] of m._buffers) if (b.persistent) out[prefix + k] = b.tensor;
      for (const [k, c] of m._modules) visit(c, `${prefix}${k}.`);
      path.delete(m);
    };
    visit(this, '');
    return out;
  }

  /**
   * Copies values from `dict` into this module's parameters and buffers (the
   * tensors keep their identity; values are cast to their dtype). Everything
   * is checked before anything is copied: a shape mismatch is a ShapeError
   * naming the key and both shapes; with `strict` (the default) missing and
   * unexpected keys are an ArgumentError naming them. A tensor listed under
   * several names (a shared module) is written once per name, in order, so
   * the last name's value wins, as in PyTorch.
   */
  loadStateDict(dict: Record<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !(k in dict));
    const unexpectedKeys = Object.keys(dict).filter((k) => !(k in own));
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const parts: string[] = [];
      if (missingKeys.length > 0) parts.push(`missing keys: ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
      if (unexpectedKeys.length > 0) parts.push(`unexpected keys: ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
      throw new ArgumentError(
        `loadStateDict: the state dict does not match ${this.constructor.name} (${parts.join('; ')})`,
      );
    }
    const pairs: [Tensor, Tensor][] = [];
    for (const [k, target] of Object.entries(own)) {
      if (!(k in dict)) continue;
      const value = dict[k];
      if (!(value instanceof Tensor)) throw new ArgumentError(`loadStateDict: the value of '${k}' is not a Tensor`);
      value.assertAlive(`loadStateDict('${k}')`);
      if (!shapesEqual(value.shape, target.shape)) {
        throw new ShapeError(
          `loadStateDict: '${k}' has shape ${fmtShape(value.shape)} in the state dict but ${fmtShape(target.shape)} in ${this.constructor.name}`,
        );
      }
      pairs.push([target, value]);
    }
    for (const [target, value] of pairs) if (target !== value) target.assign(value);
    return { missingKeys, unexpectedKeys };
  }

  // ---- lifetime --------------------------------------------------------------------

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Frees every parameter (and its gradient) and buffer of this module and its descendants. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const p of m._parameters.values()) {
        p.zeroGrad();
        p.dispose();
      }
      for (const b of m._buffers.values()) b.tensor.dispose();
      m._disposed = true;
    }
  }

  // ---- printing --------------------------------------------------------------------

  /** Extra text shown inside the parentheses by toString (e.g. `in=3, out=2`). */
  extraRepr(): string {
    return '';
  }

  /** A PyTorch-style description of the module tree. */
  toString(): string {
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (this._modules.size === 0) return `${head})`;
    const lines = [...this._modules].map(([k, m]) => `  (${k}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}
