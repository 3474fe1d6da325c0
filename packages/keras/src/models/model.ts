import { backward, noGrad } from '@tsdl/autograd';
import type { Optimizer } from '@tsdl/optim';
import { ArgumentError, ShapeError, type Tensor, concat, dispose, fmtShape, randomPermutation, tidy } from '@tsdl/tensor';
import { Callback, type TrainingModel } from '../callbacks';
import { type Layer, Layer as LayerBase, type Shape } from '../layers/layer';
import { type LossFn, type LossSpec, resolveLoss } from '../losses';
import { type MetricSpec, resolveMetric } from '../metrics';
import { type KerasOptimizer, resolveOptimizer } from '../optimizers';
import { type Logs, progressFor } from '../progress';
import { EpochBatches } from './batches';
import { InverseSeeds } from './inverse-seeds';
import { RunningSums, readInterval } from './running-sums';
import { type SummaryRow, formatSummary } from './summary';

export interface CompileArgs {
  optimizer: string | KerasOptimizer | { className: string; config?: Record<string, number | boolean> };
  loss: string | LossFn;
  metrics?: string[];
}

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  /** Fraction of the samples (the last ones, before shuffling, as Keras) held out for validation. */
  validationSplit?: number;
  validationData?: [Tensor, Tensor];
  shuffle?: boolean;
  /** Seed of the per-epoch shuffles (epoch e uses seed + e). */
  seed?: number;
  callbacks?: Callback[];
  /** 0 silent, 1 progress bar (one line per epoch when not a terminal), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  initialEpoch?: number;
  /**
   * Batches between reads of the loss and metrics from the device: default 1
   * on a backend with synchronous reads (the CPU), 20 otherwise (a GPU). On a
   * GPU, onBatchEnd runs only at these reads (see the README, "Reads").
   */
  readEvery?: number;
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
      optimizer: { className: c.optimizerSpec.className, config: { ...c.optimizerSpec.getConfig(), ...(this.optimizer ? { learningRate: this.optimizer.lr } : {}) } },
    };
  }

  /** The optimizer, made on first use from the compiled description and the trainable weights. */
  protected ensureOptimizer(): Optimizer<any> {
    const c = this.requireCompiled('training');
    if (!this.optimizer) this.optimizer = c.optimizerSpec.create(this.parameters());
    return this.optimizer;
  }

  get learningRate(): number {
    if (this.optimizer) return this.optimizer.lr;
    return this.requireCompiled('learningRate').optimizerSpec.config.learningRate as number;
  }

  set learningRate(lr: number) {
    if (this.optimizer) this.optimizer.lr = lr;
    else this.requireCompiled('learningRate').optimizerSpec.config.learningRate = lr;
  }

  // ---- shapes -------------------------------------------------------------------------------

  private checkSamples(op: string, x: Tensor, y?: Tensor): void {
    if (x.rank === 0) throw new ShapeError(`${this.name}.${op}: inputs need a batch dimension, got a scalar`);
    if (y && y.shape[0] !== x.shape[0]) {
      throw new ShapeError(`${this.name}.${op}: inputs ${fmtShape(x.shape)} and targets ${fmtShape(y.shape)} have different numbers of samples (${x.shape[0]} vs ${y.shape[0]})`);
    }
    this.ensureBuilt([null, ...x.shape.slice(1)]);
    if (this.compiled && this.compiled.metrics.length !== this.compiled.metricArgs.length) this.resolveMetrics();
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
  async trainOnBatch(x: Tensor, y: Tensor): Promise<Logs> {
    this.checkSamples('trainOnBatch', x, y);
    this.train();
    const seeds = new InverseSeeds();
    let sums: { lossSum: Tensor; metricSums: Tensor[] };
    try {
      sums = this.step(x, y, seeds);
    } finally {
      seeds.dispose();
    }
    const { lossSum, metricSums } = sums;
    const m = x.shape[0];
    const logs: Logs = { loss: (await lossSum.data())[0] / m };
    const c = this.requireCompiled('trainOnBatch');
    for (let i = 0; i < metricSums.length; i++) logs[c.metrics[i].name] = (await metricSums[i].data())[0] / m;
    dispose([lossSum, metricSums]);
    return logs;
  }

  // ---- fit -----------------------------------------------------------------------------------

  async fit(x: Tensor, y: Tensor, args: FitArgs = {}): Promise<History> {
    const c = this.requireCompiled('fit');
    this.checkSamples('fit', x, y);
    const epochs = args.epochs ?? 1;
    const batchSize = args.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new ArgumentError(`${this.name}.fit: batchSize must be a positive integer, got ${batchSize}`);
    const split = args.validationSplit ?? 0;
    if (!(split >= 0 && split < 1)) throw new ArgumentError(`${this.name}.fit: validationSplit must be in [0, 1), got ${split}`);
    const n = x.shape[0];
    const nTrain = split > 0 ? Math.floor(n * (1 - split)) : n;
    const xTrain = nTrain === n ? x : x.slice([0], [nTrain]);
    const yTrain = nTrain === n ? y : y.slice([0], [nTrain]);
    const val: [Tensor, Tensor] | null = args.validationData ?? (nTrain < n ? [x.slice([nTrain]), y.slice([nTrain])] : null);
    const steps = Math.ceil(nTrain / batchSize);
    const callbacks = args.callbacks ?? [];
    const progress = progressFor(args.verbose ?? 1);
    // Reading the running sums makes the host wait for the device. With
    // synchronous reads (CPU) that is a copy: batch logs are read every batch
    // for callbacks that want them, and for a live bar at most every 100 ms.
    // Otherwise (GPU) they are read every `interval` batches and at the end of
    // the epoch, wanted or not: the read also keeps the host from queuing an
    // epoch of work ahead of the device. onBatchEnd runs at those reads.
    const interval = readInterval(x.backend, args.readEvery, `${this.name}.fit`);
    const callbacksWantBatchLogs = callbacks.some((cb) => cb.onBatchEnd !== Callback.prototype.onBatchEnd);
    let lastRead = 0;
    const history = new History();
    const seeds = new InverseSeeds();
    let batches: EpochBatches | null = null;
    this.ensureOptimizer();
    this.stopTraining = false;
    for (const cb of callbacks) cb.setModel(this);
    for (const cb of callbacks) await cb.onTrainBegin();
    try {
      for (let epoch = args.initialEpoch ?? 0; epoch < epochs && !this.stopTraining; epoch++) {
        for (const cb of callbacks) await cb.onEpochBegin(epoch);
        await progress?.epochBegin(epoch, epochs, steps);
        this.train();
        batches = new EpochBatches(xTrain.backend, args.shuffle === false ? null : randomPermutation(nTrain, (args.seed ?? 0) + epoch));
        const sums = new RunningSums(['loss', ...c.metrics.map((m) => m.name)]);
        let logs: Logs | null = null;
        for (let s = 0; s < steps && !this.stopTraining; s++) {
          for (const cb of callbacks) await cb.onBatchBegin(s);
          const start = s * batchSize;
          const end = Math.min(start + batchSize, nTrain);
          const [xb, yb] = batches.take(xTrain, yTrain, start, end);
          const { lossSum, metricSums } = this.step(xb, yb, seeds);
          sums.add([lossSum, ...metricSums], end - start);
          dispose([xb, yb, lossSum, metricSums]);
          const last = s === steps - 1;
          let readNow: boolean;
          if (interval === 1) {
            const now = performance.now();
            readNow = callbacksWantBatchLogs || (progress?.wantsBatchLogs === true && (now - lastRead > 100 || last));
            if (readNow) lastRead = now;
          } else {
            readNow = (s + 1) % interval === 0 || last;
          }
          if (readNow) {
            logs = await sums.read();
            progress?.batchEnd(s, logs);
            if (interval === 1 || callbacksWantBatchLogs) for (const cb of callbacks) await cb.onBatchEnd(s, logs);
          } else if (interval > 1) {
            // Between reads the bar still advances, showing the last values read.
            progress?.batchEnd(s, logs ?? {});
          }
        }
        batches.dispose();
        batches = null;
        logs = await sums.read();
        sums.dispose();
        if (val) {
          const v = await this.evaluate(val[0], val[1], { batchSize, verbose: 0 });
          for (const [k, value] of Object.entries(v)) logs[`val_${k}`] = value;
        }
        history.record(epoch, logs);
        progress?.epochEnd(logs);
        for (const cb of callbacks) await cb.onEpochEnd(epoch, logs);
      }
    } finally {
      seeds.dispose();
      batches?.dispose();
      if (xTrain !== x) dispose([xTrain, yTrain]);
      if (val && !args.validationData) dispose(val);
    }
    for (const cb of callbacks) await cb.onTrainEnd();
    return history;
  }

  // ---- evaluate / predict -----------------------------------------------------------------

  /** Loss and metrics over a dataset, in inference mode: { loss, accuracy, … }. */
  async evaluate(x: Tensor, y: Tensor, args: { batchSize?: number; verbose?: 0 | 1 } = {}): Promise<Logs> {
    const c = this.requireCompiled('evaluate');
    this.checkSamples('evaluate', x, y);
    const batchSize = args.batchSize ?? 32;
    const n = x.shape[0];
    const wasTraining = this.training;
    this.eval();
    // Summed on the device and read once at the end (a GPU read waits for every queued batch);
    // on a GPU also every few batches, only so the host does not queue the whole dataset ahead.
    const interval = readInterval(x.backend, undefined, `${this.name}.evaluate`);
    const sums = new RunningSums(['loss', ...c.metrics.map((m) => m.name)]);
    try {
      for (let start = 0, b = 1; start < n; start += batchSize, b++) {
        const end = Math.min(start + batchSize, n);
        const values = noGrad(() =>
          tidy(() => {
            const xb = x.slice([start], [end]);
            const yb = y.slice([start], [end]);
            const out = this.run(xb, null).output as Tensor;
            const lossSum = c.loss.batchSum?.(yb, out) ?? c.loss.fn(yb, out).mul(end - start);
            return [lossSum, ...c.metrics.map((m) => m.sum(yb, out, false))];
          }),
        );
        sums.add(values, end - start);
        dispose(values);
        if (interval > 1 && b % interval === 0) await sums.read();
      }
      return await sums.read();
    } finally {
      sums.dispose();
      this.train(wasTraining);
    }
  }

  /** Outputs for every sample, computed in batches in inference mode. */
  predict(x: Tensor, args: { batchSize?: number } = {}): Tensor {
    this.checkSamples('predict', x);
    const batchSize = args.batchSize ?? 32;
    const n = x.shape[0];
    const wasTraining = this.training;
    this.eval();
    try {
      return noGrad(() =>
        tidy(() => {
          const parts: Tensor[] = [];
          for (let start = 0; start < n; start += batchSize) parts.push(this.run(x.slice([start], [Math.min(start + batchSize, n)]), null).output as Tensor);
          return parts.length === 1 ? parts[0] : concat(parts, 0);
        }),
      );
    } finally {
      this.train(wasTraining);
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
