import { backward } from '@tsdl/autograd';
import { crossEntropy } from '@tsdl/nn';
import { Adam, clipGradNormAsync } from '@tsdl/optim';
import { type Tensor, getBackend, memory, tensor, tidy } from '@tsdl/tensor';
import {
  IGNORE,
  type NameBatch,
  type NameData,
  batchesOf,
  encodeBatch,
  mulberry32,
  shuffledOrder,
  spreadNames,
} from './data';
import { validationLoss } from './evaluate';
import { NameModel } from './model';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  /** Seeds the initial weights and the batch order. */
  seed: number;
  /** Stop after this many optimizer steps, even mid-epoch (default: none). */
  maxSteps?: number;
  /** Train on N training names only, spread evenly over the sorted list (validation is always all of it). */
  limit?: number;
  /** Adam's learning rate (default 3e-3). */
  lr?: number;
  /** The largest global gradient norm (default 1). */
  clip?: number;
  embedding?: number;
  hidden?: number;
  layers?: number;
  /** Record memory() after every step (default false: it costs a pass over the backends). */
  recordMemory?: boolean;
  /** Called after each epoch, e.g. to print progress. */
  onEpoch?: (e: EpochResult) => void;
}

export interface EpochResult {
  epoch: number;
  /** The epoch's training loss, nats per character (mean over every real target of its batches). */
  trainLoss: number;
  /** Nats per character on the validation names. */
  valLoss: number;
  steps: number;
  /** Seconds of training (validation excluded). */
  seconds: number;
}

export interface TrainResult {
  /** The trained model; the caller disposes it. */
  model: NameModel;
  epochs: EpochResult[];
  /** Each step's mean loss over its batch's real targets. */
  stepLosses: number[];
  /** memory() after every step, when recordMemory: live handles and the backend's bytes. */
  memoryAfterStep: { numTensors: number; bytes: number }[];
}

/** The batch as tensors: ids [batch, steps] and targets [batch·steps], both int32. */
function batchTensors(b: NameBatch): { x: Tensor; y: Tensor } {
  return { x: tensor(b.inputs, [b.batch, b.steps], 'int32'), y: tensor(b.targets, [b.batch * b.steps], 'int32') };
}

/**
 * A training loop written out by hand: forward, masked cross-entropy,
 * backward, clip the gradients' global norm, Adam step, zero the gradients.
 * The forward pass and backward run inside tidy(), which frees the batch and
 * every activation; only the loss leaves it, and is disposed once read.
 */
export async function trainNameGenerator(data: NameData, o: TrainOptions): Promise<TrainResult> {
  const train = o.limit === undefined ? data.train : spreadNames(data.train, o.limit);
  const model = new NameModel({
    vocabSize: data.vocab.size,
    embedding: o.embedding,
    hidden: o.hidden,
    layers: o.layers,
    seed: o.seed,
  });
  const params = model.parameters();
  const optimizer = new Adam(params, { lr: o.lr ?? 3e-3 });
  const clip = o.clip ?? 1;
  const next = mulberry32(o.seed);
  const result: TrainResult = { model, epochs: [], stepLosses: [], memoryAfterStep: [] };
  const backendName = getBackend().name;
  try {
    for (let epoch = 0; epoch < o.epochs && result.stepLosses.length !== o.maxSteps; epoch++) {
      const t0 = performance.now();
      model.train();
      let lossSum = 0;
      let tokens = 0;
      let steps = 0;
      for (const names of batchesOf(train, shuffledOrder(train.length, next), o.batchSize)) {
        const b = encodeBatch(names, data.vocab);
        const loss = tidy(() => {
          const { x, y } = batchTensors(b);
          const l = crossEntropy(model.call(x, b.lengths), y, { ignoreIndex: IGNORE });
          backward(l);
          return l;
        });
        let value: number;
        try {
          await clipGradNormAsync(params, clip);
          tidy(() => {
            optimizer.step();
            optimizer.zeroGrad();
          });
          value = (await loss.data())[0];
        } finally {
          loss.dispose();
        }
        result.stepLosses.push(value);
        lossSum += value * b.tokens;
        tokens += b.tokens;
        steps++;
        if (o.recordMemory) {
          const m = memory();
          result.memoryAfterStep.push({ numTensors: m.numTensors, bytes: m.backends[backendName]?.bytes ?? 0 });
        }
        if (result.stepLosses.length === o.maxSteps) break;
      }
      const seconds = (performance.now() - t0) / 1000;
      const e = {
        epoch: epoch + 1,
        trainLoss: lossSum / tokens,
        valLoss: await validationLoss(model, data.val, data.vocab),
        steps,
        seconds,
      };
      result.epochs.push(e);
      o.onEpoch?.(e);
    }
    return result;
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    optimizer.dispose();
  }
}
