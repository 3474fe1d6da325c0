import { backward } from '@tsdl/autograd';
import { Dense, Embedding, LSTM, Sequential, resolveLoss } from '@tsdl/keras';
import { type Tensor, dispose, full, tensor, tidy } from '@tsdl/tensor';
import { type GpuCounts, gpuCounts } from '../../frameworks/gpu';
import { type TsdlBackend, useTsdl } from '../../frameworks/tsdl';
import { ADAM } from '../../run/session';
import { type Tally, tallyKernels } from './kernel-tally';
import { PHASES, type Phase, type PhaseRun } from './phases';
import type { StepFactory, StepSession } from './session';

/** What the profile reaches inside a Keras model: the forward pass that trainOnBatch runs (protected, so a TypeScript cast). */
interface Runner {
  run(x: Tensor, logitsFor: string | null): { output: Tensor | null; logits: Tensor | null };
}

export interface TsdlLstmSession extends StepSession {
  /** One step split into forward, backward and optimizer, each synced, with the kernels each ran. */
  profile(): Promise<PhaseRun>;
}

function diff(a: GpuCounts, b: GpuCounts): GpuCounts {
  return { dispatches: b.dispatches - a.dispatches, submits: b.submits - a.submits, reads: b.reads - a.reads };
}

/**
 * The model in @tsdl/keras (Sequential [Embedding, LSTM, Dense sigmoid], Adam, binary
 * cross-entropy), one model.trainOnBatch per step on the given backend: the API a
 * user of tsdl writes. trainOnBatch reads the loss back, so each step returns synced.
 */
export const tsdlLstm =
  (backend: TsdlBackend): StepFactory =>
  async (shape, data, weights) => {
    await useTsdl(backend);
    const model = new Sequential([
      new Embedding({ inputDim: shape.vocab, outputDim: shape.embed, inputShape: [shape.seqLen] }),
      new LSTM({ units: shape.units }),
      new Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    model.compile({ optimizer: { className: 'Adam', config: { ...ADAM } }, loss: 'binary_crossentropy' });
    const initial = weights.map((w) => tensor(w.values, w.shape, 'float32'));
    model.setWeights(initial);
    dispose(initial);
    const xs = data.tokens.map((t) => tensor(t, [shape.batchSize, shape.seqLen], 'int32'));
    const ys = data.labels.map((y) => tensor(y, [shape.batchSize, 1], 'float32'));
    let k = 0;
    const session: TsdlLstmSession = {
      async step() {
        const i = k++ % xs.length;
        const t0 = performance.now();
        const logs = await model.trainOnBatch(xs[i], ys[i]);
        return { seconds: (performance.now() - t0) / 1000, loss: logs.loss };
      },
      async profile() {
        const i = k++ % xs.length;
        const xb = xs[i];
        const yb = ys[i];
        const optimizer = model.optimizer;
        if (!optimizer)
          throw new Error('tsdl lstm profile: train a step first (the model makes its optimizer on the first one)');
        const params = model.parameters();
        // The last parameter is the Dense bias: one number, a cheap read that waits for the phase's work.
        const probe = params[params.length - 1];
        const fused = resolveLoss('binary_crossentropy').fromLogits;
        if (!fused?.batchSum)
          throw new Error('tsdl lstm profile: binary_crossentropy has no fused batch sum from logits');
        const batchSum = fused.batchSum;
        const tally = tallyKernels(xb.backend);
        const seconds = {} as Record<Phase, number>;
        const kernels = {} as Record<Phase, Tally>;
        const gpu = {} as Record<Phase, GpuCounts>;
        let sum: Tensor | null = null;
        const seed = full([], 1 / shape.batchSize, 'float32', { backend: xb.backend });
        try {
          model.train();
          // As trainOnBatch does (Model.stepTidy): the sigmoid folded into the loss, backward from the
          // batch's loss sum seeded with 1/m, then Adam and zeroGrad.
          const run: Record<Phase, () => Promise<void>> = {
            forward: async () => {
              sum = tidy(() => batchSum(yb, (model as unknown as Runner).run(xb, 'sigmoid').logits as Tensor));
              if (!sum) throw new Error('tsdl lstm profile: the loss gave no batch sum');
              await sum.data();
            },
            backward: async () => {
              tidy(() => backward(sum as Tensor, seed));
              await (probe.grad as Tensor).data();
            },
            optimizer: async () => {
              tidy(() => {
                optimizer.step();
                optimizer.zeroGrad();
              });
              await probe.data();
            },
          };
          for (const phase of PHASES) {
            const g0 = gpuCounts();
            tally.take();
            const t0 = performance.now();
            await run[phase]();
            seconds[phase] = (performance.now() - t0) / 1000;
            kernels[phase] = tally.take();
            gpu[phase] = diff(g0, gpuCounts());
          }
        } finally {
          tally.stop();
          // A failed phase must not leave gradients behind for the next step.
          optimizer.zeroGrad();
          dispose([seed, ...(sum ? [sum] : [])]);
        }
        return { seconds, kernels, gpu: backend === 'webgpu' ? gpu : undefined };
      },
      dispose() {
        model.dispose();
        dispose([...xs, ...ys]);
      },
    };
    return session;
  };
