import { buildCharGpt } from '@tsdl/app-char-gpt/model';
import { backward } from '@tsdl/autograd';
import { crossEntropy } from '@tsdl/nn';
import { AdamW, clipGradNormAsync, decayGroups } from '@tsdl/optim';
import { type Tensor, dispose, reshape, tensor, tidy } from '@tsdl/tensor';
import { type GpuCounts, gpuCounts } from '../../frameworks/gpu';
import { type TsdlBackend, useTsdl } from '../../frameworks/tsdl';
import { tallyKernels } from '../lstm/kernel-tally';
import { ADAMW, type StepFactory, type StepSession } from './session';

/** What one step's AdamW update launched: the grouped kernels (one per parameter group expected) and the GPU calls. */
export interface OptimizerCount {
  groups: number;
  /** Calls of the backend's multi-tensor kernel (elementwiseGroups) in the optimizer step. */
  groupedKernels: number;
  /** Every call of a backend method in the optimizer step (on WebGPU bookkeeping methods count too). */
  kernels: number;
  gpu: GpuCounts;
}

export interface TsdlGptSession extends StepSession {
  /** One more step, with the optimizer's update counted apart. */
  countOptimizer(): Promise<OptimizerCount>;
}

/**
 * The char-gpt app's model (its exported builder) on the given tsdl backend, trained
 * as the app's Trainer.step does: forward, cross-entropy, backward, clipGradNormAsync
 * (which reads the global norm back), AdamW over two groups (rank ≥ 2 decays), zeroGrad,
 * then the loss read back. The app's cosine schedule is left out: it only sets a number.
 */
export const tsdlGpt =
  (backend: TsdlBackend): StepFactory =>
  async (shape, data, weights) => {
    await useTsdl(backend);
    const model = buildCharGpt(
      {
        vocabSize: shape.vocab,
        blockSize: shape.blockSize,
        nLayer: shape.nLayer,
        nHead: shape.nHead,
        nEmbd: shape.nEmbd,
      },
      1,
    );
    const initial = Object.fromEntries(weights.map((w) => [w.name, tensor(w.values, w.shape, 'float32')]));
    try {
      model.loadStateDict(initial);
    } finally {
      dispose(Object.values(initial));
    }
    const groups = decayGroups(model, { weightDecay: ADAMW.weightDecay, noDecay: (_name, p) => p.rank < 2 });
    const optimizer = new AdamW(groups, { lr: ADAMW.lr, betas: ADAMW.betas, eps: ADAMW.eps });
    const params = model.parameters();
    const n = shape.batchSize * shape.blockSize;
    const xs = data.x.map((x) => tensor(x, [shape.batchSize, shape.blockSize], 'int32'));
    const ys = data.y.map((y) => tensor(y, [n], 'int32'));
    let k = 0;
    /** Forward, backward and clipping; the loss tensor, not yet read. */
    const toClip = async (): Promise<Tensor> => {
      const i = k++ % xs.length;
      const loss = tidy(() => {
        const l = crossEntropy(reshape(model.call(xs[i]), [n, shape.vocab]), ys[i]);
        backward(l);
        return l;
      });
      try {
        await clipGradNormAsync(params, ADAMW.clip);
      } catch (e) {
        loss.dispose();
        throw e;
      }
      return loss;
    };
    const update = () =>
      tidy(() => {
        optimizer.step();
        optimizer.zeroGrad();
      });
    const readLoss = async (loss: Tensor) => {
      try {
        return (await loss.data())[0];
      } finally {
        loss.dispose();
      }
    };
    const session: TsdlGptSession = {
      async step() {
        const t0 = performance.now();
        const loss = await toClip();
        update();
        const value = await readLoss(loss);
        return { seconds: (performance.now() - t0) / 1000, loss: value };
      },
      async countOptimizer() {
        const loss = await toClip();
        const tally = tallyKernels(xs[0].backend);
        const g0 = gpuCounts();
        try {
          update();
        } finally {
          tally.stop();
        }
        const g1 = gpuCounts();
        await readLoss(loss);
        const t = tally.take();
        let kernels = 0;
        for (const c of t.calls.values()) kernels += c;
        return {
          groups: optimizer.paramGroups.length,
          groupedKernels: t.calls.get('elementwiseGroups') ?? 0,
          kernels,
          gpu: {
            dispatches: g1.dispatches - g0.dispatches,
            submits: g1.submits - g0.submits,
            reads: g1.reads - g0.reads,
          },
        };
      },
      dispose() {
        optimizer.dispose();
        model.dispose();
        dispose([...xs, ...ys]);
      },
    };
    return session;
  };
