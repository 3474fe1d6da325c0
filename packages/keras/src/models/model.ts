import { backward, noGrad } from '@tsdl/autograd';
import type { Optimizer } from '@tsdl/optim';
import { ArgumentError, type Backend, ShapeError, Tensor, concat, dispose, getBackend, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import type { TrainingModel } from '../callbacks';
import { type Layer, Layer as LayerBase, type PartialShape } from '../layers/layer';
import type { LossSpec } from '../losses';
import { type KerasOptimizer, resolveOptimizer } from '../optimizers';
import type { LearningRateSchedule, SerializedSchedule } from '../schedules/index';
import { type Logs, progressFor } from '../progress';
import {
  type LossesArg,
  type LossWeightsArg,
  type MetricsArg,
  type OutputSpec,
  logNames,
  lossesJson,
  outputSpecs,
  resolveOutputMetrics,
} from './compile-spec';
import { dataArg, splitValidation } from './data-args';
import { stringSamplesArg } from './string-samples';
import { EpochRunner, abortCallbacks } from './fit-epoch';
import {
  type EvaluateArgs,
  type FitArgs,
  FIT_KEYS,
  type PredictArgs,
  compileOptions,
  evaluateOptions,
  fitOptions,
  predictOptions,
} from './fit-options';
import type { GraphRun, LogitsLayer } from './graph';
import { InverseSeeds } from './inverse-seeds';
import { batchSums } from './loss-sums';
import {
  type ModelData,
  checkSampleCounts,
  isPlainObject,
  entryLabel,
  fitInputRank,
  fitTargetRank,
  sampleWeightTensor,
  splitByName,
} from './model-data';
import { RunningSums, readInterval } from './running-sums';
import { classSampleWeights, classWeightOption } from './sample-weights';
import { type SummaryRow, formatSummary } from './summary';
import { TrainingLock } from './training-lock';
import { type ForwardBackward, TrainStepCapture } from './train-step-capture';
import { describeValue } from './options';
import { type WithSnakeCase, camelCaseKeys, rejectUnknownOptions } from '../config-keys';

export type { EvaluateArgs, FitArgs, PredictArgs } from './fit-options';
export type { DataArray } from './data-args';
export type { ModelData } from './model-data';
export type { LossesArg, LossWeightsArg, MetricsArg } from './compile-spec';

export interface CompileArgs {
  optimizer:
    | string
    | KerasOptimizer
    | {
        className: string;
        config?: Record<string, number | boolean | LearningRateSchedule | SerializedSchedule | null>;
      };
  /** One loss for every output, or one per output: a list in output order or an object keyed by output name. */
  loss: LossesArg;
  /** Metric names for every output, or per output (a list of lists, or an object keyed by output name). */
  metrics?: MetricsArg;
  /** Factors of the outputs' losses in the total loss (default 1 each): a list or an object keyed by output name. */
  lossWeights?: LossWeightsArg;
  /** Run every training step op by op, never replaying a traced one (default false; see Model.runEagerly). */
  runEagerly?: boolean;
}

/** A batch's loss sum and metric sums (the caller disposes them). */
type BatchSums = { lossSum: Tensor; metricSums: Tensor[] };

/** A model whatever its predict returns (a tensor, or a list for a list of outputs). */
export type AnyModel = Model<Tensor | Tensor[]>;

/** What fit returns: per-epoch values of the loss, the metrics and their 'val_' counterparts. */
export class History {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};
  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

interface Compiled {
  outputs: OutputSpec[];
  /** compile's loss, lossWeights and metrics as given (for save). */
  given: { loss: unknown; lossWeights: unknown; metrics: unknown };
  /** Whether the outputs' metrics were resolved for the output shapes. */
  resolved: boolean;
  optimizerSpec: KerasOptimizer;
}

/**
 * A model call's data as tensors: one input tensor per model input, and per output its
 * targets and sample weights (null: none), every one with `n` samples.
 */
interface Prepared {
  xs: Tensor[];
  ys: (Tensor | null)[];
  sws: (Tensor | null)[];
  n: number;
}

/** The tensors of `d` as one list (what fit batches and splits), and back. */
function flatten(d: Prepared): Tensor[] {
  return [...d.xs, ...(d.ys.filter((t) => t !== null) as Tensor[]), ...(d.sws.filter((t) => t !== null) as Tensor[])];
}

function unflatten(like: Prepared, flat: readonly Tensor[]): Prepared {
  let k = like.xs.length;
  const xs = flat.slice(0, k);
  const ys = like.ys.map((t) => (t === null ? null : flat[k++]));
  const sws = like.sws.map((t) => (t === null ? null : flat[k++]));
  return { xs, ys, sws, n: xs[0].shape[0] };
}

/**
 * The Keras model API shared by Sequential and functional models: compile,
 * fit, evaluate, predict, trainOnBatch, summary, weights and saving. `O` is what
 * predict returns: a tensor, or a list of them for a model with a list of outputs.
 */
export abstract class Model<O extends Tensor | Tensor[] = Tensor> extends LayerBase implements TrainingModel {
  stopTraining = false;
  optimizer: Optimizer<any> | null = null;
  /**
   * Keras' run_eagerly. false (the default): fit's training step is traced and, once two
   * steps trace alike, replayed as its kernels alone (train-step-capture.ts); JavaScript in a
   * layer's call then runs only while tracing. true: every step runs op by op.
   */
  runEagerly = false;
  private compiled: Compiled | null = null;
  private trainCapture: TrainStepCapture | null = null;
  private readonly lock = new TrainingLock();

  /** The layers in execution order (no InputLayer), each once. */
  abstract get layers(): Layer[];
  /** The model's output shape (batch dimension null); builds the model first if needed. One output only: see outputShapes. */
  abstract get outputShape(): PartialShape;
  /** The names of the inputs (their Input layers' names), which key name-keyed data. */
  abstract get inputNames(): string[];
  /** The names of the outputs (their layers' names), which key targets, losses, metrics and logs. */
  abstract get outputNames(): string[];
  /** Every output's shape (batch dimension null). */
  abstract get outputShapes(): PartialShape[];
  /** The inputs' shapes (batch dimension null), null where not known yet (a Sequential model built from its first data). */
  protected abstract inputShapes(): (PartialShape | null)[];
  /** Whether data must have the inputs' ranks (functional models, as Keras 3); otherwise the layers check. */
  protected abstract get strictInputs(): boolean;
  /** Whether predict returns a list (the outputs were given as a list). */
  protected abstract get outputsAsList(): boolean;
  /**
   * Runs a one-input, one-output model. When `logitsFor` names the output layer's activation,
   * returns the values before it (`logits`) and leaves the activation uncomputed (`output`
   * null): the caller's fused loss and metrics read the logits, so the activation would be a
   * wasted kernel every training step. Otherwise returns the output (`logits` null).
   */
  protected abstract run(x: Tensor, logitsFor: string | null): { output: Tensor | null; logits: Tensor | null };
  /** Runs the model on one tensor per input; `logitsFor[i]` as run's, per output. */
  protected abstract runAll(xs: Tensor[], logitsFor: readonly (string | null)[] | null): GraphRun;
  /** The layer computing output `i`, if a fused loss can absorb its activation (nothing else reads that output). */
  protected abstract fusableOutput(i: number): (Layer & LogitsLayer) | null;
  /** Rows of summary(). */
  protected abstract summaryRows(): SummaryRow[];

  override forward(...xs: Tensor[]): O {
    const r = this.runAll(xs, null);
    return (this.outputsAsList ? r.outputs : r.outputs[0]) as O;
  }

  /** The last layer, if its activation can be folded into the loss (one-output models). */
  protected outputLayer(): (Layer & LogitsLayer) | null {
    return this.fusableOutput(0);
  }

  /** The layer named `name`, or the one at `index` in `layers`; an ArgumentError listing the names when there is none. */
  getLayer(nameOrIndex: string | number): Layer {
    const layers = this.layers;
    if (typeof nameOrIndex === 'number') {
      if (!Number.isInteger(nameOrIndex) || nameOrIndex < 0 || nameOrIndex >= layers.length) {
        throw new ArgumentError(
          `${this.name}.getLayer: index ${nameOrIndex} is out of range; the model has ${layers.length} layers`,
        );
      }
      return layers[nameOrIndex];
    }
    if (typeof nameOrIndex !== 'string')
      throw new ArgumentError(
        `${this.name}.getLayer: expected a layer name or index, got ${describeValue(nameOrIndex)}`,
      );
    const found = this.layersByName().find((l) => l.name === nameOrIndex);
    if (!found)
      throw new ArgumentError(
        `${this.name}.getLayer: no layer named '${nameOrIndex}' (layers: ${this.layersByName()
          .map((l) => l.name)
          .join(', ')})`,
      );
    return found;
  }

  /** Keras' input_shape: the input's shape (batch dimension null), a list for several inputs; null while not known (an unbuilt Sequential model). */
  get inputShape(): PartialShape | PartialShape[] | null {
    const shapes = this.inputShapes();
    if (shapes.length === 1) return shapes[0];
    return shapes.every((s) => s !== null) ? (shapes as PartialShape[]) : null;
  }

  /** The layers getLayer finds by name (a functional model's InputLayers too). */
  protected layersByName(): Layer[] {
    return this.layers;
  }

  // ---- compile -------------------------------------------------------------------------

  compile(compileArgs: WithSnakeCase<CompileArgs>): void {
    // Keras' snake_case names (loss_weights) are accepted; unknown names are errors.
    const args = compileOptions(`${this.name}.compile`, compileArgs);
    if (args.runEagerly !== undefined && typeof args.runEagerly !== 'boolean')
      throw new ArgumentError(
        `${this.name}.compile: runEagerly must be true or false, got ${describeValue(args.runEagerly)}`,
      );
    const outputs = outputSpecs(`${this.name}.compile`, this.outputNames, args.loss, args.lossWeights, args.metrics);
    const optimizerSpec = resolveOptimizer(args.optimizer);
    this.compiled = {
      outputs,
      given: { loss: args.loss, lossWeights: args.lossWeights, metrics: args.metrics },
      resolved: false,
      optimizerSpec,
    };
    this.optimizer = null;
    this.trainCapture = null;
    if (args.runEagerly !== undefined) this.runEagerly = args.runEagerly;
    if (this.built) this.resolveMetrics();
  }

  private resolveMetrics(): void {
    const c = this.requireCompiled('compile');
    resolveOutputMetrics(c.outputs, this.outputShapes);
    c.resolved = true;
  }

  private requireCompiled(op: string): Compiled {
    if (!this.compiled) throw new ArgumentError(`${this.name}: call compile({ optimizer, loss }) before ${op}`);
    return this.compiled;
  }

  /** The compile arguments as JSON (for save), or null. */
  compileConfig(): Record<string, unknown> | null {
    const c = this.compiled;
    if (!c) return null;
    const { loss, lossWeights, metrics } = c.given;
    return {
      loss: lossesJson(loss, this.outputNames),
      ...(lossWeights === undefined || lossWeights === null ? {} : { lossWeights }),
      metrics: metrics ?? [],
      optimizer: { className: c.optimizerSpec.className, config: c.optimizerSpec.getConfig(this.optimizer) },
    };
  }

  /**
   * Frees the weights and the optimizer's state (its moments): the model made its optimizer
   * from the compiled description, so it owns it, as a TF.js model owns one compiled from a name.
   */
  override dispose(): void {
    this.optimizer?.dispose();
    this.optimizer = null;
    this.trainCapture = null;
    super.dispose();
  }

  /** The optimizer, made on first use from the compiled description and the trainable weights. */
  protected ensureOptimizer(): Optimizer<any> {
    const c = this.requireCompiled('training');
    if (!this.optimizer) this.optimizer = c.optimizerSpec.create(this.parameters());
    return this.optimizer;
  }

  /** The rate of the next update (a schedule's value at the optimizer's step count). */
  get learningRate(): number {
    if (this.optimizer) return this.optimizer.lr;
    return this.requireCompiled('learningRate').optimizerSpec.learningRateAt(0);
  }

  set learningRate(lr: number) {
    this.requireCompiled('learningRate').optimizerSpec.setLearningRate(lr, this.optimizer);
  }

  // ---- data -------------------------------------------------------------------------------

  /**
   * The data of `op` as tensors (arrays are made on x's backend, or the weights', pushed on
   * `created` for the caller to dispose): x split by input, y and sampleWeight by output
   * (lists in order or objects by name), classWeight turned into sample weights, ranks fitted
   * as Keras does (labels [N] for an output [N, 1]), checked: a batch dimension, the same
   * number of samples everywhere, at least one. Builds the model for x.
   */
  private prepare(
    op: string,
    data: { x: unknown; y?: unknown; sampleWeight?: unknown; classWeight?: Map<number, number> | null },
    created: Tensor[],
    prefix = '',
  ): Prepared {
    const who = `${this.name}.${op}`;
    const [xWhat, yWhat] = prefix ? [`${prefix}[0]`, `${prefix}[1]`] : ['x', 'y'];
    const label = prefix ? 'validation ' : '';
    const inNames = this.inputNames;
    const outNames = this.outputNames;
    const xParts = splitByName(
      data.x,
      inNames,
      'inputs',
      who,
      xWhat,
      inNames.map(() => true),
    );
    const first = xParts[0];
    const backend: Backend = first instanceof Tensor ? first.backend : (this.parameters()[0]?.backend ?? getBackend());
    const xs = xParts.map((v, i) => {
      const what = entryLabel(xWhat, inNames, i);
      // Strings for a first layer that reads them (TextVectorization, StringLookup) become its encoding here.
      const t =
        (inNames.length === 1 ? stringSamplesArg(this.layers[0], v, who, what, backend, created) : null) ??
        dataArg(v, who, what, backend, created);
      if (t.rank === 0) throw new ShapeError(`${who}: ${label}inputs need a batch dimension, got a scalar`);
      if (t.shape[0] === 0)
        throw new ArgumentError(`${who}: ${what} has 0 samples (shape ${fmtShape(t.shape)}); ${op} needs at least one`);
      return t;
    });
    const shapes = this.inputShapes();
    const fitted = xs.map((t, i) =>
      fitInputRank(t, shapes[i], who, entryLabel(xWhat, inNames, i), this.strictInputs, created),
    );
    const inLabel = (i: number): string =>
      inNames.length === 1 ? `${label}inputs` : `${label}${xWhat}['${inNames[i]}']`;
    checkSampleCounts(
      who,
      fitted.map((t, i) => [inLabel(i), t]),
    );
    const c = this.compiled;
    const n = fitted[0].shape[0];
    const ys: (Tensor | null)[] = outNames.map(() => null);
    const sws: (Tensor | null)[] = outNames.map(() => null);
    // Targets and weights are made and counted before the model builds: bad ones cost no weights.
    if ('y' in data) {
      const need = c ? c.outputs.map((o) => o.loss !== null || o.metricArgs.length > 0) : outNames.map(() => true);
      const yParts = splitByName(data.y, outNames, 'outputs', who, yWhat, need);
      yParts.forEach((v, i) => {
        // A missing target of one output gets dataArg's message ('y must be a Tensor …, got undefined').
        if ((v === undefined || v === null) && !(need[i] && outNames.length === 1)) return;
        ys[i] = dataArg(v, who, entryLabel(yWhat, outNames, i), backend, created);
      });
      const yLabel = (i: number): string => (outNames.length === 1 ? 'targets' : `${label}${yWhat}['${outNames[i]}']`);
      checkSampleCounts(who, [
        [inLabel(0), fitted[0]],
        ...(ys.map((t, i) => [yLabel(i), t]).filter(([, t]) => t !== null) as [string, Tensor][]),
      ]);
      if (data.sampleWeight !== undefined && data.sampleWeight !== null) {
        // One set of weights for a model with several outputs weighs every output's loss (as Keras).
        const sw = data.sampleWeight;
        const perOutputList =
          Array.isArray(sw) &&
          sw.length === outNames.length &&
          sw.every((e) => e === null || e === undefined || typeof e === 'object');
        const single = outNames.length > 1 && !isPlainObject(sw) && !perOutputList;
        const parts = single
          ? outNames.map(() => data.sampleWeight)
          : splitByName(
              data.sampleWeight,
              outNames,
              'outputs',
              who,
              'sampleWeight',
              outNames.map(() => false),
            );
        parts.forEach((v, i) => {
          if (v === undefined || v === null) return;
          sws[i] = sampleWeightTensor(v, who, entryLabel('sampleWeight', outNames, i), backend, created);
        });
        checkSampleCounts(who, [
          [inLabel(0), fitted[0]],
          ...(sws.map((t, i) => [entryLabel('sampleWeight', outNames, i), t]).filter(([, t]) => t !== null) as [
            string,
            Tensor,
          ][]),
        ]);
      }
      if (data.classWeight && outNames.length !== 1) {
        throw new ArgumentError(
          `${who}: classWeight is only supported for models with one output (this one has ${outNames.length}); use sampleWeight`,
        );
      }
    }
    if (fitted.length === 1) this.ensureBuilt([null, ...fitted[0].shape.slice(1)]);
    if (c && !c.resolved) this.resolveMetrics();
    if ('y' in data) {
      const outShapes = this.outputShapes;
      ys.forEach((t, i) => {
        if (t !== null) ys[i] = fitTargetRank(t, outShapes[i], created);
      });
      if (data.classWeight) {
        const cw = classSampleWeights(who, data.classWeight, ys[0] as Tensor, outShapes[0]);
        created.push(cw);
        const sw = sws[0];
        sws[0] = sw ? sw.mul(cw) : cw;
        if (sw) created.push(sws[0] as Tensor);
      }
    }
    return { xs: fitted, ys, sws, n };
  }

  /** Whether `d` takes the one-input, one-output path without sample weights (the benchmarked one). */
  private isPlain(d: Prepared): boolean {
    return d.xs.length === 1 && d.ys.length === 1 && d.sws[0] === null;
  }

  /** Runs synchronous work in inference mode, then restores the mode: never across an await (see TrainingLock). */
  private inference<T>(fn: () => T): T {
    const wasTraining = this.training;
    this.eval();
    try {
      return fn();
    } finally {
      this.train(wasTraining);
    }
  }

  // ---- one step ---------------------------------------------------------------------------

  /**
   * Forward, loss, backward and an optimizer step on one batch; returns the batch's loss
   * sum (the mean times the batch size, as RunningSums wants it) and metric sums (caller
   * disposes).
   */
  private step(xb: Tensor, yb: Tensor, seeds: InverseSeeds): BatchSums {
    const c = this.requireCompiled('fit');
    const [lossSum, ...metricSums] = this.trainStep([xb, yb], ([x, y]) => {
      const sums = this.forwardBackward(c.outputs[0], x, y, seeds);
      return [sums.lossSum, ...sums.metricSums];
    });
    return { lossSum, metricSums };
  }

  /**
   * One training step on `batch`: `forwardBackward`, then the optimizer's update (traced and
   * replayed together unless runEagerly, train-step-capture.ts). Returns forwardBackward's values.
   */
  private trainStep(batch: Tensor[], forwardBackward: ForwardBackward): Tensor[] {
    const optimizer = this.ensureOptimizer();
    try {
      return tidy(() => {
        const captured = this.runEagerly
          ? null
          : (this.trainCapture ??= new TrainStepCapture()).run(batch, optimizer, forwardBackward);
        if (captured) return captured;
        const sums = forwardBackward(batch);
        optimizer.step();
        optimizer.zeroGrad();
        return sums;
      });
    } catch (e) {
      // Gradients outlive tidy (as in PyTorch); a step that failed after backward must not keep them.
      optimizer.zeroGrad();
      throw e;
    }
  }

  /**
   * Forward, loss and backward on one batch: leaves the gradients in the parameters' .grad
   * and returns the batch's loss sum (the mean times the batch size, as RunningSums wants
   * it) and metric sums. The optimizer's update is the caller's.
   */
  private forwardBackward(c: OutputSpec, xb: Tensor, yb: Tensor, seeds: InverseSeeds): BatchSums {
    const spec = c.loss as LossSpec;
    const fused =
      spec.fromLogits && this.outputLayer()?.activation === spec.fromLogits.activation ? spec.fromLogits : null;
    const loss = fused ?? spec;
    const { output, logits } = this.run(xb, fused ? fused.activation : null);
    // With a fused loss, the loss and the metrics read the logits (run returned no output).
    const pred = (fused ? logits : output) as Tensor;
    const m = xb.shape[0];
    const batchSum = loss.batchSum?.(yb, pred) ?? null;
    let lossSum: Tensor;
    if (batchSum) {
      // The mean's gradient is the sum's scaled by 1/m: seed backward with 1/m instead of
      // dividing forward and backward, and keep the sum for the running loss.
      // A model with every weight frozen has nothing to differentiate (fit warned at its start).
      if (batchSum.requiresGrad) backward(batchSum, seeds.get(m, batchSum.backend));
      lossSum = batchSum.detach();
    } else {
      const mean = loss.fn(yb, pred);
      if (mean.requiresGrad) backward(mean);
      lossSum = noGrad(() => mean.mul(m));
    }
    const metricSums = noGrad(() => c.metrics.map((metric) => metric.sum(yb, pred, fused !== null)));
    return { lossSum, metricSums };
  }

  /**
   * A training step for several inputs or outputs, or with sample weights: the weighted total
   * of the outputs' loss sums, differentiated with a 1/m seed. Returns the sums logNames lists.
   */
  private stepMany(d: Prepared, seeds: InverseSeeds): Tensor[] {
    const c = this.requireCompiled('fit');
    return this.trainStep(flatten(d), (batch) => {
      const b = unflatten(d, batch);
      const fused = c.outputs.map((o, i) =>
        o.loss?.fromLogits && this.fusableOutput(i)?.activation === o.loss.fromLogits.activation
          ? o.loss.fromLogits.activation
          : null,
      );
      const run = this.runAll(b.xs, fused);
      const sums = batchSums(c.outputs, run, b.ys, b.sws, b.n);
      if (sums.total.requiresGrad) backward(sums.total, seeds.get(b.n, sums.total.backend));
      return this.logValues(
        c,
        sums.total.detach(),
        sums.perOutput.map((t) => t.detach()),
        noGrad(() => sums.metrics.map((t) => t.detach())),
      );
    });
  }

  /** The running values in logNames' order: the total, each output's loss (several outputs only), the metrics. */
  private logValues(c: Compiled, total: Tensor, perOutput: Tensor[], metrics: Tensor[]): Tensor[] {
    return c.outputs.length === 1 ? [total, ...metrics] : [total, ...perOutput, ...metrics];
  }

  /** The loss and metric sums of one batch in inference mode (evaluate, validation, testOnBatch). */
  private testSums(c: Compiled, d: Prepared): Tensor[] {
    return noGrad(() =>
      tidy(() => {
        const sums = batchSums(c.outputs, this.runAll(d.xs, null), d.ys, d.sws, d.n);
        return this.logValues(c, sums.total, sums.perOutput, sums.metrics);
      }),
    );
  }

  /** Reads `values` (sums over `m` samples, in logNames' order) as means. */
  private async readLogs(c: Compiled, values: Tensor[], m: number): Promise<Logs> {
    const names = logNames(c.outputs);
    const logs: Logs = {};
    for (let i = 0; i < values.length; i++) logs[names[i]] = (await values[i].data())[0] / m;
    return logs;
  }

  /** Trains on one batch and returns its loss and metrics (Keras' train_on_batch). */
  async trainOnBatch(x: ModelData, y: ModelData, args?: WeightArgs): Promise<Logs> {
    const who = `${this.name}.trainOnBatch`;
    this.lock.refuseIfTraining(who);
    const o = batchOptions(who, args, true);
    const c = this.requireCompiled('trainOnBatch');
    const created: Tensor[] = [];
    try {
      const d = this.prepare('trainOnBatch', { x, y, ...o }, created);
      if (this.lock.busy) {
        await this.lock.idle();
        this.lock.refuseIfTraining(who);
      }
      this.train();
      const seeds = new InverseSeeds();
      let values: Tensor[];
      try {
        if (this.isPlain(d)) {
          const { lossSum, metricSums } = this.step(d.xs[0], d.ys[0] as Tensor, seeds);
          values = [lossSum, ...metricSums];
        } else {
          values = this.stepMany(d, seeds);
        }
      } finally {
        seeds.dispose();
      }
      try {
        return await this.readLogs(c, values, d.n);
      } finally {
        dispose(values);
      }
    } finally {
      dispose(created);
    }
  }

  /** The loss and metrics of one batch in inference mode, without training (Keras' test_on_batch). */
  testOnBatch(x: ModelData, y: ModelData, args?: SampleWeightArgs): Promise<Logs> {
    return this.lock.evaluating(async () => {
      const who = `${this.name}.testOnBatch`;
      const o = batchOptions(who, args, false);
      const c = this.requireCompiled('testOnBatch');
      const created: Tensor[] = [];
      try {
        const d = this.prepare('testOnBatch', { x, y, ...o }, created);
        const values = this.inference(() => this.testSums(c, d));
        try {
          return await this.readLogs(c, values, d.n);
        } finally {
          dispose(values);
        }
      } finally {
        dispose(created);
      }
    });
  }

  // ---- fit -----------------------------------------------------------------------------------

  /**
   * Trains for `epochs` epochs. x and y are tensors, nested arrays or TypedArrays (for several
   * inputs or outputs: lists in the model's order, or objects keyed by name). One fit at a
   * time per model: a second one (or a trainOnBatch) while it runs is an ArgumentError;
   * evaluate and predict may run meanwhile (see TrainingLock). On an error (a callback's
   * included) everything fit allocated is freed, callbacks get onTrainAbort instead of
   * onTrainEnd, and the error propagates.
   */
  async fit(x: ModelData, y: ModelData, args?: FitArgs & WeightArgs): Promise<History> {
    const who = `${this.name}.fit`;
    const { weighting, rest } = splitWeighting(who, args, true);
    // Checked here too so that a misspelt weight option is suggested its name.
    if (rest && typeof rest === 'object' && !Array.isArray(rest))
      rejectUnknownOptions(who, camelCaseKeys(rest, who), [...FIT_KEYS, 'sampleWeight', 'classWeight']);
    const o = fitOptions(who, rest as FitArgs | undefined);
    const c = this.requireCompiled('fit');
    const release = this.lock.acquire(who);
    const created: Tensor[] = [];
    const seeds = new InverseSeeds();
    let started = false;
    try {
      const d = this.prepare('fit', { x, y, ...weighting }, created);
      const given =
        o.validationData &&
        this.prepare('fit', { x: o.validationData[0], y: o.validationData[1] }, created, 'validationData');
      let train = d;
      let val: Prepared | null = given || null;
      if (!given) {
        const split = splitValidation(who, flatten(d), o.validationSplit, created);
        train = unflatten(d, split.train);
        // Keras weighs the validation loss by the sample weights of the held-out samples too.
        val = split.val && unflatten(d, split.val);
      }
      const plain = this.isPlain(train);
      // As Keras: training a model whose every weight is frozen is allowed (it computes the loss and metrics), but said.
      if (!this.parameters().some((p) => p.requiresGrad))
        console.warn(
          `${who}: the model has no trainable weights (trainable is false everywhere); fit computes the loss and metrics and changes nothing`,
        );
      const progress = progressFor(o.verbose);
      const runner = new EpochRunner({
        data: flatten(train),
        batchSize: o.batchSize,
        seed: o.shuffle ? o.seed : null,
        interval: readInterval(train.xs[0].backend, o.readEvery, who),
        callbacks: o.callbacks,
        progress,
        names: logNames(c.outputs),
        step: plain
          ? ([xb, yb]) => {
              const { lossSum, metricSums } = this.step(xb, yb, seeds);
              return [lossSum, ...metricSums];
            }
          : (batch) => this.stepMany(unflatten(train, batch), seeds),
        beforeStep: () => (this.lock.busy ? this.lock.idle() : null),
        stopped: () => this.stopTraining,
      });
      const history = new History();
      this.ensureOptimizer();
      this.stopTraining = false;
      started = true;
      for (const cb of o.callbacks) cb.setModel(this);
      for (const cb of o.callbacks) await cb.onTrainBegin();
      for (let epoch = o.initialEpoch; epoch < o.epochs && !this.stopTraining; epoch++) {
        for (const cb of o.callbacks) await cb.onEpochBegin(epoch);
        await progress?.epochBegin(epoch, o.epochs, runner.steps);
        this.train();
        const logs = await runner.run(epoch);
        if (val) {
          const v = await this.lock.evaluating(() => this.evaluatePrepared(c, val as Prepared, o.batchSize, who));
          for (const [k, value] of Object.entries(v)) logs[`val_${k}`] = value;
        }
        history.record(epoch, logs);
        progress?.epochEnd(logs);
        for (const cb of o.callbacks) await cb.onEpochEnd(epoch, logs);
      }
      for (const cb of o.callbacks) await cb.onTrainEnd();
      return history;
    } catch (e) {
      if (started) await abortCallbacks(o.callbacks, e);
      throw e;
    } finally {
      seeds.dispose();
      dispose(created);
      release();
    }
  }

  // ---- evaluate / predict -----------------------------------------------------------------

  /** Loss and metrics over a dataset, in inference mode: { loss, accuracy, … } (several outputs: also '<output>_loss', '<output>_accuracy'). */
  evaluate(x: ModelData, y: ModelData, args?: EvaluateArgs & SampleWeightArgs): Promise<Logs> {
    return this.lock.evaluating(() => this.evaluateNow(x, y, args));
  }

  private async evaluateNow(
    x: ModelData,
    y: ModelData,
    args: (EvaluateArgs & SampleWeightArgs) | undefined,
  ): Promise<Logs> {
    const who = `${this.name}.evaluate`;
    const { weighting, rest } = splitWeighting(who, args, false);
    if (rest && typeof rest === 'object' && !Array.isArray(rest))
      rejectUnknownOptions(who, camelCaseKeys(rest, who), ['batchSize', 'verbose', 'sampleWeight']);
    const { batchSize } = evaluateOptions(who, rest as EvaluateArgs | undefined);
    const c = this.requireCompiled('evaluate');
    const created: Tensor[] = [];
    try {
      const d = this.prepare('evaluate', { x, y, ...weighting }, created);
      return await this.evaluatePrepared(c, d, batchSize, who);
    } finally {
      dispose(created);
    }
  }

  private async evaluatePrepared(c: Compiled, d: Prepared, batchSize: number, who: string): Promise<Logs> {
    let sums: RunningSums | null = null;
    try {
      const n = d.n;
      const flat = flatten(d);
      // Summed on the device and read once at the end (a GPU read waits for every queued batch);
      // on a GPU also every few batches, only so the host does not queue the whole dataset ahead.
      const interval = readInterval(d.xs[0].backend, undefined, who);
      const chunk = interval > 1 ? interval * batchSize : n;
      const s = (sums = new RunningSums(logNames(c.outputs)));
      for (let from = 0; from < n; from += chunk) {
        this.inference(() => {
          for (let start = from; start < Math.min(from + chunk, n); start += batchSize) {
            const end = Math.min(start + batchSize, n);
            const batch = tidy(() => flat.map((t) => t.slice([start], [end])));
            let values: Tensor[];
            try {
              values = this.testSums(c, unflatten(d, batch));
            } finally {
              dispose(batch);
            }
            try {
              s.add(values, end - start);
            } finally {
              dispose(values);
            }
          }
        });
        if (from + chunk < n) await s.read();
      }
      return await s.read();
    } finally {
      sums?.dispose();
    }
  }

  /**
   * Outputs for every sample, computed in batches in inference mode; x a tensor, nested arrays
   * or a TypedArray (several inputs: a list or an object by name). A model with a list of
   * outputs gives a list of tensors.
   */
  predict(x: ModelData, args?: PredictArgs): O {
    const who = `${this.name}.predict`;
    const { batchSize } = predictOptions(who, args);
    return this.predictBatches('predict', x, batchSize);
  }

  /** The outputs for one batch (Keras' predict_on_batch): predict without splitting x into batches. */
  predictOnBatch(x: ModelData): O {
    return this.predictBatches('predictOnBatch', x, Infinity);
  }

  private predictBatches(op: string, x: ModelData, batchSize: number): O {
    const created: Tensor[] = [];
    try {
      const d = this.prepare(op, { x }, created);
      const n = d.n;
      const outs = this.inference(() =>
        noGrad(() =>
          tidy(() => {
            if (d.xs.length === 1 && this.outputNames.length === 1) {
              const parts: Tensor[] = [];
              for (let start = 0; start < n; start += batchSize)
                parts.push(this.run(d.xs[0].slice([start], [Math.min(start + batchSize, n)]), null).output as Tensor);
              return [parts.length === 1 ? parts[0] : concat(parts, 0)];
            }
            const parts: Tensor[][] = this.outputNames.map(() => []);
            for (let start = 0; start < n; start += batchSize) {
              const end = Math.min(start + batchSize, n);
              const r = this.runAll(
                d.xs.map((t) => t.slice([start], [end])),
                null,
              );
              r.outputs.forEach((t, i) => parts[i].push(t as Tensor));
            }
            return parts.map((p) => (p.length === 1 ? p[0] : concat(p, 0)));
          }),
        ),
      );
      return (this.outputsAsList ? outs : outs[0]) as O;
    } finally {
      dispose(created);
    }
  }

  // ---- weights -----------------------------------------------------------------------------

  /** Every layer's weights with Keras-style names ('dense/kernel'), in layer order; a layer used at several nodes once. */
  namedModelWeights(): [string, Tensor][] {
    return this.layers.flatMap((l) => l.namedWeights().map(([k, w]) => [`${l.name}/${k}`, w] as [string, Tensor]));
  }

  /** A model's weights are its layers' (Layer's getWeights, setWeights, weights, trainableWeights read these). */
  override namedWeights(): [string, Tensor][] {
    return this.namedModelWeights();
  }

  /** The Keras-style summary table (also printed unless `print` is false). */
  summary(print: ((line: string) => void) | false = console.log): string {
    const text = formatSummary(this.name, this.summaryRows());
    if (print) print(text);
    return text;
  }

  // Saving is implemented in io/save.ts; models delegate there to keep this file about training.
  abstract save(path: string, options?: { includeOptimizer?: boolean }): Promise<void>;
}

/** sampleWeight (evaluate, testOnBatch, fit, trainOnBatch); snake_case spelling accepted. */
export type SampleWeightArgs = WithSnakeCase<{
  /** Per output, one weight per sample ([N]): the loss is sum(weight · loss) / N, as Keras. One set for several outputs weighs them all. */
  sampleWeight?: ModelData;
}>;

/** sampleWeight and classWeight (fit, trainOnBatch). */
export type WeightArgs = SampleWeightArgs &
  WithSnakeCase<{
    /** { classId: weight } for a one-output model: each sample weighs its class's weight (1 for classes not named). */
    classWeight?: Record<number, number>;
  }>;

/** Takes sampleWeight (and classWeight where `training`) out of an options object; the rest goes to the options' own check. */
function splitWeighting(
  who: string,
  args: object | undefined,
  training: boolean,
): { weighting: { sampleWeight: unknown; classWeight: Map<number, number> | null }; rest: object | undefined } {
  if (args === undefined || args === null || typeof args !== 'object' || Array.isArray(args))
    return { weighting: { sampleWeight: undefined, classWeight: null }, rest: args };
  const rest: Record<string, unknown> = { ...(args as Record<string, unknown>) };
  const take = (name: string, snake: string): unknown => {
    const a = rest[name];
    const b = rest[snake];
    if (a !== undefined && b !== undefined)
      throw new ArgumentError(`${who}: option '${name}' is given twice (as '${name}' and as '${snake}')`);
    delete rest[name];
    delete rest[snake];
    return a ?? b;
  };
  const sampleWeight = take('sampleWeight', 'sample_weight');
  if (!training) return { weighting: { sampleWeight, classWeight: null }, rest };
  return {
    weighting: { sampleWeight, classWeight: classWeightOption(who, take('classWeight', 'class_weight')) },
    rest,
  };
}

/** trainOnBatch's and testOnBatch's options: sampleWeight (and for training classWeight); nothing else. */
function batchOptions(
  who: string,
  args: object | undefined,
  training: boolean,
): { sampleWeight: unknown; classWeight: Map<number, number> | null } {
  if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args)))
    throw new ArgumentError(`${who}: options must be an object, got ${describeValue(args)}`);
  const { weighting, rest } = splitWeighting(who, args, training);
  const known = training ? ['sampleWeight', 'classWeight'] : ['sampleWeight'];
  rejectUnknownOptions(who, rest ?? {}, known);
  return weighting;
}
