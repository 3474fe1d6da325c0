import { noGrad } from '@tsdl/autograd';
import { BackendError, DTypeError, ShapeError, Tensor, cast, full, tidy } from '@tsdl/tensor';
import { type Expr } from '@tsdl/tensor/backend';
import {
  activeTrace,
  detach,
  fmtShape,
  liveValues,
  runElementwiseGroups,
  shapesEqual,
  toBackend,
} from '@tsdl/tensor/internal';
import { Batches, type PendingUpdate } from './batches';
import { ReplayedUpdates, type TracedUpdate } from './replayed-updates';
import type {
  FusedUpdate,
  Hyper,
  HyperValue,
  OptimizerStateDict,
  ParamGroup,
  ParamGroupInput,
  ParamState,
  ParamsInput,
} from './types';
import { argumentError, nonNegative } from './validate';

function copyValue(v: HyperValue): HyperValue {
  return Array.isArray(v) ? [...v] : v;
}

/**
 * The base of every optimizer (PyTorch's torch.optim.Optimizer).
 *
 * Parameters are leaf float32 tensors (nn's parameters are exactly that).
 * `step()` updates every parameter that has a `.grad` and skips the others;
 * the update runs under `noGrad` as a fused elementwise kernel that computes
 * the new value and the new state together. Parameters whose updates use the
 * same kernel are updated together, in one backend call
 * (`runElementwiseGroups`): a GPU then launches one kernel for all of them
 * rather than one per parameter. New values replace old ones with `assign`
 * (which shares the new storage), for the parameters and for the state
 * tensors (kept: exempt from `tidy`), so a training loop's memory stays flat
 * and a state tensor stays the same object from step to step. Nothing is
 * installed until every kernel has run, so a step that throws leaves
 * parameters, state and step counts as they were (except updates a subclass
 * applied itself).
 *
 * A step run inside a captured step's trace (CapturedStep: Keras' fit) passes
 * live scalars to its kernels and registers a ReplayedUpdates, so a replay of
 * the captured step updates the weights without running step().
 *
 * Subclasses give their defaults, validate a full hyper-parameter set and
 * implement `update` for one parameter: it returns the parameter's
 * FusedUpdate (or applies an update itself with `fused` and `commit` and
 * returns nothing).
 */
export abstract class Optimizer<H extends Hyper = Hyper> {
  /** The optimizer's name, used in error messages and checked by loadStateDict. */
  readonly name: string;
  /** Hyper-parameters used for groups that do not set their own. */
  readonly defaults: Readonly<H>;
  /** The parameter groups; each holds its parameters and full hyper-parameters. */
  readonly paramGroups: ParamGroup<H>[] = [];
  /** How many times step() ran. */
  stepCount = 0;
  /** Names of the state tensors this optimizer may hold per parameter. */
  protected abstract readonly stateNames: readonly string[];
  /** Names of the numbers this optimizer may hold per parameter (NAdam's muProduct). */
  protected readonly valueNames: readonly string[] = [];
  private readonly state = new Map<Tensor, ParamState>();
  private readonly known = new Set<Tensor>();
  /** State tensors made during the running step (undone if it throws); null outside step(). */
  private created: [ParamState, string][] | null = null;
  /** Per parameter, the live scalars array its kernel reads in traced steps (the same array every step). */
  private readonly liveScalars = new Map<Tensor, number[]>();

  protected constructor(name: string, params: ParamsInput<H>, defaults: H, options: Partial<H> = {}) {
    this.name = name;
    this.defaults = this.merge(defaults, options, 'options');
    this.checkHyper(this.defaults);
    if (
      params === null ||
      typeof params !== 'object' ||
      typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function'
    ) {
      argumentError(
        name,
        `params must be an iterable of tensors or of parameter groups, got ${params instanceof Tensor ? 'a single Tensor (wrap it in an array)' : typeof params}`,
      );
    }
    const list = [...(params as Iterable<Tensor | ParamGroupInput<H>>)];
    if (list.length === 0) argumentError(name, 'got an empty parameter list');
    if (list.every((x) => x instanceof Tensor)) {
      this.addParamGroup({ params: list as Tensor[] } as unknown as ParamGroupInput<H>);
    } else if (list.every((x) => !(x instanceof Tensor) && x !== null && typeof x === 'object')) {
      for (const g of list as ParamGroupInput<H>[]) this.addParamGroup(g);
    } else {
      argumentError(name, 'params must be all tensors or all parameter groups ({ params, lr?, ... }), not a mix');
    }
  }

  /** Throws an ArgumentError naming the optimizer for an invalid hyper-parameter. */
  protected abstract checkHyper(h: H): void;

  /**
   * One parameter's update from its gradient, as a fused kernel for `step` to
   * run together with the other parameters' (or void when the subclass has
   * applied it itself). Runs under noGrad and tidy.
   */
  protected abstract update(param: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<H>): FusedUpdate | void;

  /** Adds a parameter group (PyTorch's add_param_group); unset hyper-parameters come from the defaults. */
  addParamGroup(group: ParamGroupInput<H>): void {
    if (group === null || typeof group !== 'object' || !('params' in group)) {
      argumentError(this.name, 'a parameter group must be an object with a params field');
    }
    const { params, ...rest } = group;
    const ps = params instanceof Tensor ? [params] : [...params];
    const seen = new Set<Tensor>();
    for (const p of ps) {
      if (!(p instanceof Tensor)) argumentError(this.name, `parameters must be Tensors, got ${typeof p}`);
      p.assertAlive(this.name);
      if (p.dtype !== 'float32')
        throw new DTypeError(`${this.name}: parameters must be float32, got ${p.dtype} of shape ${fmtShape(p.shape)}`);
      if (!p.isLeaf)
        argumentError(
          this.name,
          `cannot optimize a non-leaf tensor (shape ${fmtShape(p.shape)}, made by '${p.gradFn?.op}'); detach it first`,
        );
      if (this.known.has(p) || seen.has(p))
        argumentError(
          this.name,
          `a parameter (shape ${fmtShape(p.shape)}) appears more than once in the parameter groups`,
        );
      seen.add(p);
    }
    const hyper = this.merge(this.defaults, rest as unknown as Partial<H>, 'a parameter group');
    this.checkHyper(hyper);
    for (const p of ps) this.known.add(p);
    this.paramGroups.push({ ...hyper, params: ps } as ParamGroup<H>);
  }

  /** Every parameter, in group order (the indices of the state dict). */
  get params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** The learning rate of the first group; setting it sets every group's. */
  get lr(): number {
    return this.paramGroups[0].lr;
  }

  set lr(value: number) {
    nonNegative(this.name, 'lr', value);
    for (const g of this.paramGroups) g.lr = value;
  }

  /** Updates every parameter that has a gradient. */
  step(): void {
    const counted: ParamState[] = [];
    const trace = activeTrace();
    const traced: TracedUpdate[] | null = trace ? [] : null;
    this.created = [];
    try {
      this.runStep(counted, traced);
    } catch (e) {
      // Nothing was installed: the step did not happen, so neither did its counts or its new
      // state (SGD tells a first step by its missing momentum buffer).
      for (const st of counted) st.step--;
      for (const [st, name] of this.created) {
        st.tensors[name].dispose();
        delete st.tensors[name];
      }
      throw e;
    } finally {
      this.created = null;
    }
    this.stepCount++;
    if (trace && traced) {
      // The parameter stands in for the gradient, which only the replayed kernels see.
      const recompute = (e: TracedUpdate, next: ParamState) =>
        this.state.get(e.param) === e.state ? this.update(e.param, e.param, next, e.group as ParamGroup<H>) : null;
      trace.hostStep(new ReplayedUpdates(this.name, traced, recompute, () => this.stepCount++));
    }
  }

  /**
   * step()'s work; `counted` collects the states whose step count it advanced,
   * `traced` (in a trace) each update with the live scalars its kernel read.
   */
  private runStep(counted: ParamState[], traced: TracedUpdate[] | null): void {
    noGrad(() =>
      tidy(() => {
        const batches = new Batches();
        for (const group of this.paramGroups) {
          for (const p of group.params) {
            const g = p.grad;
            if (g === null) continue;
            // The messages are built only for a disposed tensor: this runs for every parameter every step.
            if (p.isDisposed) p.assertAlive(`${this.name}.step`);
            if (g.isDisposed) g.assertAlive(`${this.name}.step (the gradient)`);
            if (!shapesEqual(g.shape, p.shape)) {
              throw new ShapeError(
                `${this.name}.step: gradient of shape ${fmtShape(g.shape)} for a parameter of shape ${fmtShape(p.shape)}`,
              );
            }
            if (g.backend !== p.backend) {
              throw new BackendError(
                `${this.name}.step: the gradient is on backend '${g.backend.name}' but the parameter is on '${p.backend.name}'`,
              );
            }
            let st = this.state.get(p);
            if (!st) {
              st = { step: 0, tensors: {} };
              this.state.set(p, st);
            }
            st.step++;
            counted.push(st);
            const made = this.created?.length ?? 0;
            let u = this.update(p, g, st, group);
            if (u && traced) {
              const scalars = this.live(p, u.scalars);
              u = { ...u, scalars };
              traced.push({ param: p, group, state: st, tag: u.tag, inputs: u.inputs, grad: g, scalars });
            }
            if (u) {
              batches.add(p, st, u);
            } else {
              // Applied by the subclass: installed, so its count and state stand.
              counted.pop();
              this.created?.splice(made);
            }
          }
        }
        // Every kernel runs before anything is installed, so a step that throws changes nothing.
        const done = [...batches.all()].map((batch) => {
          const outs = runElementwiseGroups(
            batch[0].param.backend,
            batch[0].update.exprs,
            batch.map((b) => ({ inputs: b.update.inputs, scalars: b.update.scalars, shape: b.param.shape })),
            `@tsdl/optim:${batch[0].update.tag}`,
          );
          return { batch, outs };
        });
        for (const { batch, outs } of done) batch.forEach((b, i) => this.commitOutputs(b, outs[i]));
      }),
    );
  }

  /** Clears every parameter's gradient (disposes it and sets `.grad` to null, as PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.zeroGrad();
  }

  /** The state tensors of one parameter (read-only; undefined before its first update). */
  getState(param: Tensor):
    | {
        readonly step: number;
        readonly tensors: Readonly<Record<string, Tensor>>;
        readonly values?: Readonly<Record<string, number>>;
      }
    | undefined {
    return this.state.get(param);
  }

  /** A snapshot of the hyper-parameters, step counts and state; the caller owns its tensors. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    this.params.forEach((p, i) => index.set(p, i));
    const state: OptimizerStateDict['state'] = {};
    for (const [p, st] of this.state) {
      const tensors: Record<string, Tensor> = {};
      // A state tensor gets new storage each step (assign), never writes into the old: a view is a snapshot.
      for (const [k, t] of Object.entries(st.tensors)) tensors[k] = detach(t);
      state[String(index.get(p))] = st.values
        ? { step: st.step, tensors, values: { ...st.values } }
        : { step: st.step, tensors };
    }
    const groups = this.paramGroups.map((g) => {
      const hyper: Record<string, HyperValue> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') hyper[k] = copyValue(v as HyperValue);
      return { params: g.params.map((p) => index.get(p) as number), hyper };
    });
    return { optimizer: this.name, stepCount: this.stepCount, groups, state };
  }

  /**
   * Restores a snapshot from stateDict() into an optimizer of the same kind
   * over parameters of the same shapes in the same groups. The caller keeps
   * ownership of the dict's tensors.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const owner = `${this.name}.loadStateDict`;
    if (sd === null || typeof sd !== 'object' || !Array.isArray(sd.groups) || typeof sd.state !== 'object') {
      argumentError(owner, 'expected an object from stateDict() with optimizer, stepCount, groups and state');
    }
    if (sd.optimizer !== this.name)
      argumentError(owner, `the state dict is from '${sd.optimizer}', not '${this.name}'`);
    if (sd.groups.length !== this.paramGroups.length) {
      argumentError(
        owner,
        `the state dict has ${sd.groups.length} parameter groups, this optimizer has ${this.paramGroups.length}`,
      );
    }
    const hypers = sd.groups.map((g, i) => {
      if (!Array.isArray(g.params) || g.params.length !== this.paramGroups[i].params.length) {
        argumentError(
          owner,
          `group ${i} has ${g.params?.length} parameters in the state dict but ${this.paramGroups[i].params.length} here`,
        );
      }
      const h = this.merge(this.defaults, g.hyper as Partial<H>, `group ${i} of the state dict`);
      this.checkHyper(h);
      return h;
    });
    const params = this.params;
    const loaded = new Map<Tensor, ParamState>();
    try {
      noGrad(() =>
        tidy(() => {
          for (const [key, entry] of Object.entries(sd.state)) {
            const i = Number(key);
            if (!Number.isInteger(i) || i < 0 || i >= params.length)
              argumentError(owner, `state for parameter index ${key}, but there are ${params.length} parameters`);
            const p = params[i];
            if (!Number.isInteger(entry.step) || entry.step < 0)
              argumentError(owner, `parameter ${i} has step ${entry.step}, expected an integer >= 0`);
            const tensors: Record<string, Tensor> = {};
            const values = this.loadValues(owner, i, entry.values);
            loaded.set(p, values ? { step: entry.step, tensors, values } : { step: entry.step, tensors });
            for (const [name, t] of Object.entries(entry.tensors)) {
              if (!this.stateNames.includes(name))
                argumentError(
                  owner,
                  `unknown state '${name}' for parameter ${i} (${this.name} keeps ${this.stateNames.join(', ')})`,
                );
              if (!(t instanceof Tensor)) argumentError(owner, `state '${name}' of parameter ${i} is not a Tensor`);
              if (!shapesEqual(t.shape, p.shape)) {
                throw new ShapeError(
                  `${owner}: state '${name}' of parameter ${i} has shape ${fmtShape(t.shape)}, the parameter has shape ${fmtShape(p.shape)}`,
                );
              }
              const moved = toBackend(t, p.backend);
              tensors[name] = (moved.dtype === 'float32' ? moved : cast(moved, 'float32')).keep();
            }
          }
        }),
      );
    } catch (e) {
      for (const st of loaded.values()) for (const t of Object.values(st.tensors)) t.dispose();
      throw e;
    }
    this.disposeState();
    for (const [p, st] of loaded) this.state.set(p, st);
    hypers.forEach((h, i) => Object.assign(this.paramGroups[i], h));
    this.stepCount = Number.isInteger(sd.stepCount) ? sd.stepCount : 0;
  }

  /** A state dict entry's numbers, checked; undefined when it has none (the optimizer then derives them). */
  private loadValues(owner: string, i: number, values: unknown): Record<string, number> | undefined {
    if (values === undefined) return undefined;
    if (values === null || typeof values !== 'object' || Array.isArray(values))
      argumentError(owner, `values of parameter ${i} must be an object of numbers`);
    const out: Record<string, number> = {};
    for (const [name, v] of Object.entries(values)) {
      if (!this.valueNames.includes(name)) {
        argumentError(
          owner,
          `unknown value '${name}' for parameter ${i} (${this.name} keeps ${this.valueNames.length ? this.valueNames.join(', ') : 'none'})`,
        );
      }
      if (typeof v !== 'number' || !Number.isFinite(v))
        argumentError(owner, `value '${name}' of parameter ${i} must be a finite number, got ${String(v)}`);
      out[name] = v;
    }
    return out;
  }

  /** Frees all state tensors; the optimizer starts afresh (parameters are untouched). */
  dispose(): void {
    this.disposeState();
  }

  // ---- helpers for subclasses ----------------------------------------------------

  /** A state tensor, created (filled with `init`, kept) on first use. */
  protected stateTensor(param: Tensor, state: ParamState, name: string, init = 0): Tensor {
    let t = state.tensors[name];
    if (!t) {
      t = full(param.shape, init, 'float32', { backend: param.backend }).keep();
      state.tensors[name] = t;
      this.created?.push([state, name]);
    }
    return t;
  }

  /**
   * Runs one fused elementwise kernel over `inputs` (broadcast to the
   * parameter's shape) with run-time `scalars`; one float32 output per
   * expression. `tag` must name this exact expression list.
   */
  protected fused(
    param: Tensor,
    tag: string,
    exprs: readonly Expr[],
    inputs: readonly Tensor[],
    scalars: readonly number[],
  ): Tensor[] {
    // One group: runElementwiseGroups runs it as one ordinary elementwise kernel.
    return runElementwiseGroups(
      param.backend,
      exprs,
      [{ inputs, scalars, shape: param.shape }],
      `@tsdl/optim:${tag}`,
    )[0];
  }

  /** `p`'s live scalars array (liveValues), holding `values`. */
  private live(p: Tensor, values: readonly number[]): number[] {
    let a = this.liveScalars.get(p);
    if (a === undefined || a.length !== values.length) {
      a = liveValues(values.slice());
      this.liveScalars.set(p, a);
    } else for (let k = 0; k < values.length; k++) a[k] = values[k];
    return a;
  }

  /**
   * Installs a parameter's new value and new state tensors by assign (shared,
   * not copied: the old storages are freed), so the state tensors stay the same
   * objects; a state tensor not yet held is kept as it is.
   */
  protected commit(param: Tensor, newValue: Tensor, state: ParamState, next: Record<string, Tensor>): void {
    param.assign(newValue);
    newValue.dispose();
    // for-in, not Object.entries: this runs for every parameter every step.
    for (const k in next) {
      const t = next[k];
      const old = state.tensors[k];
      if (old === undefined) state.tensors[k] = t.keep();
      else if (old !== t) {
        old.assign(t);
        t.dispose();
      }
    }
  }

  /** Installs a batched update's outputs: output 0 is the new value, output k the state `update.state[k - 1]`. */
  private commitOutputs(b: PendingUpdate, outs: readonly Tensor[]): void {
    const next: Record<string, Tensor> = {};
    b.update.state.forEach((name, k) => (next[name] = outs[k + 1]));
    this.commit(b.param, outs[0], b.state, next);
    if (b.update.values) b.state.values = { ...b.state.values, ...b.update.values };
  }

  private disposeState(): void {
    for (const st of this.state.values()) for (const t of Object.values(st.tensors)) t.dispose();
    this.state.clear();
    this.liveScalars.clear();
  }

  /** `base` overridden by the defined entries of `over`, rejecting unknown names. */
  private merge(base: H, over: Partial<H>, where: string): H {
    const out: Record<string, HyperValue> = {};
    for (const [k, v] of Object.entries(base)) out[k] = copyValue(v as HyperValue);
    if (over === null || typeof over !== 'object')
      argumentError(this.name, `${where} must be an object, got ${over === null ? 'null' : typeof over}`);
    for (const [k, v] of Object.entries(over)) {
      if (v === undefined) continue;
      // Own keys only: `in` would take Object.prototype's 'constructor' or 'toString' as options.
      if (!Object.hasOwn(base, k))
        argumentError(this.name, `unknown option '${k}' in ${where} (known: ${Object.keys(base).join(', ')})`);
      out[k] = copyValue(v as HyperValue);
    }
    return out as H;
  }
}
