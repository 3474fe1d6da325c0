import { backward, noGrad } from '@tsdl/autograd';
import type { Optimizer } from '@tsdl/optim';
import { ArgumentError, ShapeError, Tensor, concat, dispose, fmtShape, getBackend, tidy } from '@tsdl/tensor';
import type { TrainingModel } from '../callbacks';
import { type Layer, Layer as LayerBase, type Shape } from '../layers/layer';
import { type LossFn, type LossSpec, resolveLoss } from '../losses';
import { type MetricSpec, resolveMetric } from '../metrics';
import { type KerasOptimizer, resolveOptimizer } from '../optimizers';
import type { LearningRateSchedule, SerializedSchedule } from '../schedules/index';
import { type Logs, progressFor } from '../progress';
import { type TensorLike, dataArg, splitValidation } from './data-args';
import { stringSamplesArg } from './string-samples';
import { EpochRunner, abortCallbacks } from './fit-epoch';
import { type EvaluateArgs, type FitArgs, type PredictArgs, evaluateOptions, fitOptions, predictOptions } from './fit-options';
import { InverseSeeds } from './inverse-seeds';
import { RunningSums, readInterval } from './running-sums';
import { type SummaryRow, formatSummary } from './summary';
import { TrainingLock } from './training-lock';

export type { EvaluateArgs, FitArgs, PredictArgs } from './fit-options';
export type { TensorLike } from './data-args';

export interface CompileArgs {
  optimizer: string | KerasOptimizer | { className: string; config?: Record<string, number | boolean | LearningRateSchedule | SerializedSchedule | null> };
  loss: string | LossFn;
  metrics?: string[];
}

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
  loss: LossSpec;
  lossArg: string | LossFn;
  metrics: MetricSpec[];
  metricArgs: string[];
  optimizerSpec: KerasOptimizer;
}

/** The layer whose activation a fused loss can absorb, with its pre-activation function. */
interface LogitsLayer {
  activation: string;
  preActivation(x: Tensor): Tensor;
}

function hasLogits(l: Layer): l is Layer & LogitsLayer {
  return typeof (l as unknown as LogitsLayer).preActivation === 'function' && typeof (l as unknown as LogitsLayer).activation === 'string';
}

/**
 * The Keras model API shared by Sequential and functional models: compile,
 * fit, evaluate, predict, trainOnBatch, summary, weights and saving.
 */
export abstract class Model extends LayerBase implements TrainingModel {
  stopTraining = false;
  optimizer: Optimizer<any> | null = null;
  private compiled: Compiled | null = null;
  private readonly lock = new TrainingLock();

  /** The layers in execution order (no InputLayer). */
  abstract get layers(): Layer[];
  /** The model's output shape (batch dimension null); builds the model first if needed. */
  abstract get outputShape(): Shape;
  /**
   * Runs the model. When `logitsFor` names the output layer's activation, returns the
   * values before it (`logits`) and leaves the activation uncomputed (`output` null): the
   * caller's fused loss and metrics read the logits, so the activation would be a wasted
   * kernel every training step. Otherwise returns the output (`logits` null).
   */
  protected abstract run(x: Tensor, logitsFor: string | null): { output: Tensor | null; logits: Tensor | null };
  /** Rows of summary(). */
  protected abstract summaryRows(): SummaryRow[];

  override forward(x: Tensor): Tensor {
    return this.run(x, null).output as Tensor;
  }

  /** The last layer, if its activation can be folded into the loss. */
  protected outputLayer(): (Layer & LogitsLayer) | null {
    const last = this.lastLayer();
    return last && hasLogits(last) ? last : null;
  }

  /** The last layer in execution order (subclasses may find it without copying `layers`: fit asks every step). */
  protected lastLayer(): Layer | undefined {
    const layers = this.layers;
    return layers[layers.length - 1];
  }

  // ---- compile -------------------------------------------------------------------------

  compile(args: CompileArgs): void {
    if (!args || args.loss === undefined || args.optimizer === undefined) {
      throw new ArgumentError(`${this.name}: compile needs an optimizer and a loss`);
    }
    const loss = resolveLoss(args.loss);
    const optimizerSpec = resolveOptimizer(args.optimizer);
    const metricArgs = args.metrics ?? [];
    this.compiled = { loss, lossArg: args.loss, metricArgs, metrics: [], optimizerSpec };
    this.optimizer = null;
    if (this.built) this.resolveMetrics();
  }

  private resolveMetrics(): void {
    const c = this.requireCompiled('compile');
    c.metrics = c.metricArgs.map((m) => resolveMetric(m, c.loss.name, this.outputShape));
  }

  private requireCompiled(op: string): Compiled {
    if (!this.compiled) throw new ArgumentError(`${this.name}: call compile({ optimizer, loss }) before ${op}`);
    return this.compiled;
  }

  /** The compile arguments as JSON (for save), or null. */
  compileConfig(): Record<string, unknown> | null {
    const c = this.compiled;
    if (!c) return null;
    return {
      loss: typeof c.lossArg === 'string' ? c.lossArg : null,
      metrics: c.metricArgs,
      optimizer: { className: c.optimizerSpec.className, config: c.optimizerSpec.getConfig(this.optimizer) },
    };
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
   * x and y of `op` as tensors (arrays are made on x's backend, or the weights', pushed on
   * `created` for the caller to dispose), checked: a batch dimension, the same number of
   * samples, at least one (an empty dataset would give a NaN loss). Builds the model for x.
   */
  private samples(op: string, x: unknown, y: unknown, created: Tensor[], what: [string, string] = ['x', 'y']): [Tensor, Tensor | null] {
    const who = `${this.name}.${op}`;
    const backend = x instanceof Tensor ? x.backend : (this.parameters()[0]?.backend ?? getBackend());
    // Strings for a first layer that reads them (TextVectorization, StringLookup) become its encoding here.
    const xs = stringSamplesArg(this.layers[0], x, who, what[0], backend, created) ?? dataArg(x, who, what[0], backend, created);
    const ys = y === undefined && op === 'predict' ? null : dataArg(y, who, what[1], xs.backend, created);
    const label = what[0] === 'x' ? '' : 'validation ';
    if (xs.rank === 0) throw new ShapeError(`${who}: ${label}inputs need a batch dimension, got a scalar`);
    if (ys && ys.shape[0] !== xs.shape[0]) {
      throw new ShapeError(`${who}: ${label}inputs ${fmtShape(xs.shape)} and targets ${fmtShape(ys.shape)} have different numbers of samples (${xs.shape[0]} vs ${ys.shape[0]})`);
    }
    if (xs.shape[0] === 0) throw new ArgumentError(`${who}: ${what[0]} has 0 samples (shape ${fmtShape(xs.shape)}); ${op} needs at least one`);
    this.ensureBuilt([null, ...xs.shape.slice(1)]);
    if (this.compiled && this.compiled.metrics.length !== this.compiled.metricArgs.length) this.resolveMetrics();
    return [xs, ys];
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
  private step(xb: Tensor, yb: Tensor, seeds: InverseSeeds): { lossSum: Tensor; metricSums: Tensor[] } {
    const c = this.requireCompiled('fit');
    const optimizer = this.ensureOptimizer();
    try {
      return this.stepTidy(c, optimizer, xb, yb, seeds);
    } catch (e) {
      // Gradients outlive tidy (as in PyTorch); a step that failed after backward must not keep them.
      optimizer.zeroGrad();
      throw e;
    }
  }

  private stepTidy(c: Compiled, optimizer: Optimizer<any>, xb: Tensor, yb: Tensor, seeds: InverseSeeds): { lossSum: Tensor; metricSums: Tensor[] } {
    return tidy(() => {
      const fused = c.loss.fromLogits && this.outputLayer()?.activation === c.loss.fromLogits.activation ? c.loss.fromLogits : null;
      const loss = fused ?? c.loss;
      const { output, logits } = this.run(xb, fused ? fused.activation : null);
      // With a fused loss, the loss and the metrics read the logits (run returned no output).
      const pred = (fused ? logits : output) as Tensor;
      const m = xb.shape[0];
      const batchSum = loss.batchSum?.(yb, pred) ?? null;
      let lossSum: Tensor;
      if (batchSum) {
        // The mean's gradient is the sum's scaled by 1/m: seed backward with 1/m instead of
        // dividing forward and backward, and keep the sum for the running loss.
        backward(batchSum, seeds.get(m, batchSum.backend));
        lossSum = batchSum.detach();
      } else {
        const mean = loss.fn(yb, pred);
        backward(mean);
        lossSum = noGrad(() => mean.mul(m));
      }
      optimizer.step();
      optimizer.zeroGrad();
      const metricSums = noGrad(() => c.metrics.map((metric) => metric.sum(yb, pred, fused !== null)));
      return { lossSum, metricSums };
    });
  }

  /** Trains on one batch and returns its loss and metrics (Keras' train_on_batch). */
  async trainOnBatch(x: TensorLike, y: TensorLike): Promise<Logs> {
    const who = `${this.name}.trainOnBatch`;
    this.lock.refuseIfTraining(who);
    const c = this.requireCompiled('trainOnBatch');
    const created: Tensor[] = [];
    try {
      const [xs, ys] = this.samples('trainOnBatch', x, y, created) as [Tensor, Tensor];
      if (this.lock.busy) {
        await this.lock.idle();
        this.lock.refuseIfTraining(who);
      }
      this.train();
      const seeds = new InverseSeeds();
      let sums: { lossSum: Tensor; metricSums: Tensor[] };
      try {
        sums = this.step(xs, ys, seeds);
      } finally {
        seeds.dispose();
      }
      try {
        const m = xs.shape[0];
        const logs: Logs = { loss: (await sums.lossSum.data())[0] / m };
        for (let i = 0; i < sums.metricSums.length; i++) logs[c.metrics[i].name] = (await sums.metricSums[i].data())[0] / m;
        return logs;
      } finally {
        dispose([sums.lossSum, sums.metricSums]);
      }
    } finally {
      dispose(created);
    }
  }

  // ---- fit -----------------------------------------------------------------------------------

  /**
   * Trains for `epochs` epochs. x and y are tensors, nested arrays or TypedArrays. One
   * fit at a time per model: a second one (or a trainOnBatch) while it runs is an
   * ArgumentError; evaluate and predict may run meanwhile (see TrainingLock). On an
   * error (a callback's included) everything fit allocated is freed, callbacks get
   * onTrainAbort instead of onTrainEnd, and the error propagates.
   */
  async fit(x: TensorLike, y: TensorLike, args?: FitArgs): Promise<History> {
    const who = `${this.name}.fit`;
    const o = fitOptions(who, args);
    const c = this.requireCompiled('fit');
    const release = this.lock.acquire(who);
    const created: Tensor[] = [];
    const seeds = new InverseSeeds();
    let started = false;
    try {
      const [xs, ys] = this.samples('fit', x, y, created) as [Tensor, Tensor];
      const given = o.validationData && this.samples('fit', o.validationData[0], o.validationData[1], created, ['validationData[0]', 'validationData[1]']);
      const { xTrain, yTrain, val } = given
        ? { xTrain: xs, yTrain: ys, val: given as [Tensor, Tensor] }
        : splitValidation(who, xs, ys, o.validationSplit, created);
      const progress = progressFor(o.verbose);
      const runner = new EpochRunner({
        x: xTrain,
        y: yTrain,
        batchSize: o.batchSize,
        seed: o.shuffle ? o.seed : null,
        interval: readInterval(xs.backend, o.readEvery, who),
        callbacks: o.callbacks,
        progress,
        names: ['loss', ...c.metrics.map((m) => m.name)],
        step: (xb, yb) => {
          const { lossSum, metricSums } = this.step(xb, yb, seeds);
          return [lossSum, ...metricSums];
        },
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
          const v = await this.evaluate(val[0], val[1], { batchSize: o.batchSize });
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

  /** Loss and metrics over a dataset, in inference mode: { loss, accuracy, … }. */
  evaluate(x: TensorLike, y: TensorLike, args?: EvaluateArgs): Promise<Logs> {
    return this.lock.evaluating(() => this.evaluateNow(x, y, args));
  }

  private async evaluateNow(x: TensorLike, y: TensorLike, args: EvaluateArgs | undefined): Promise<Logs> {
    const who = `${this.name}.evaluate`;
    const { batchSize } = evaluateOptions(who, args);
    const c = this.requireCompiled('evaluate');
    const created: Tensor[] = [];
    let sums: RunningSums | null = null;
    try {
      const [xs, ys] = this.samples('evaluate', x, y, created) as [Tensor, Tensor];
      const n = xs.shape[0];
      // Summed on the device and read once at the end (a GPU read waits for every queued batch);
      // on a GPU also every few batches, only so the host does not queue the whole dataset ahead.
      const interval = readInterval(xs.backend, undefined, who);
      const chunk = interval > 1 ? interval * batchSize : n;
      const s = (sums = new RunningSums(['loss', ...c.metrics.map((m) => m.name)]));
      for (let from = 0; from < n; from += chunk) {
        this.inference(() => {
          for (let start = from; start < Math.min(from + chunk, n); start += batchSize) {
            const end = Math.min(start + batchSize, n);
            const values = noGrad(() =>
              tidy(() => {
                const xb = xs.slice([start], [end]);
                const yb = ys.slice([start], [end]);
                const out = this.run(xb, null).output as Tensor;
                const lossSum = c.loss.batchSum?.(yb, out) ?? c.loss.fn(yb, out).mul(end - start);
                return [lossSum, ...c.metrics.map((m) => m.sum(yb, out, false))];
              }),
            );
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
      dispose(created);
    }
  }

  /** Outputs for every sample, computed in batches in inference mode; x a tensor, nested arrays or a TypedArray. */
  predict(x: TensorLike, args?: PredictArgs): Tensor {
    const who = `${this.name}.predict`;
    const { batchSize } = predictOptions(who, args);
    const created: Tensor[] = [];
    try {
      const [xs] = this.samples('predict', x, undefined, created);
      const n = xs.shape[0];
      return this.inference(() =>
        noGrad(() =>
          tidy(() => {
            const parts: Tensor[] = [];
            for (let start = 0; start < n; start += batchSize) parts.push(this.run(xs.slice([start], [Math.min(start + batchSize, n)]), null).output as Tensor);
            return parts.length === 1 ? parts[0] : concat(parts, 0);
          }),
        ),
      );
    } finally {
      dispose(created);
    }
  }

  // ---- weights -----------------------------------------------------------------------------

  /** Every layer's weights with Keras-style names ('dense/kernel'), in layer order. */
  namedModelWeights(): [string, Tensor][] {
    return this.layers.flatMap((l) => l.namedWeights().map(([k, w]) => [`${l.name}/${k}`, w] as [string, Tensor]));
  }

  getWeights(): Tensor[] {
    return this.namedModelWeights().map(([, w]) => w.clone());
  }

  setWeights(weights: readonly Tensor[]): void {
    const own = this.namedModelWeights();
    if (weights.length !== own.length) {
      throw new ArgumentError(`${this.name}.setWeights: got ${weights.length} tensors for ${own.length} weights`);
    }
    own.forEach(([name, w], i) => {
      if (weights[i].shape.join() !== w.shape.join()) {
        throw new ShapeError(`${this.name}.setWeights: '${name}' has shape ${fmtShape(w.shape)}, got ${fmtShape(weights[i].shape)}`);
      }
    });
    own.forEach(([, w], i) => w.assign(weights[i]));
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
