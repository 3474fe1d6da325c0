import { type Plan, productsPerRun } from './plan';
import { formatChecks, formatTable } from './table';
import type { Check, Framework, Row } from './types';

/** What is measured how: printed under the table so the numbers can be read without the source. */
export function methodLines(plan: Plan): string[] {
  const lines = [
    'times: lower is better; "peer / tsdl" is the peer\'s time over tsdl\'s (CPU peers against tsdl on its CPU backend, WebGPU peers against tsdl-webgpu), so above 1 means tsdl is faster.',
    `MLP: Flatten → Dense 128 relu → Dropout 0.2 → Dense 10 softmax, Adam (lr 1e-3, eps 1e-7), sparse categorical cross-entropy, real MNIST training set, unshuffled; tsdl and TF.js via their Keras model.fit, jax-js via a jit-compiled step with a hand-written Adam (it reads each step's loss; tsdl's fit reads once an epoch). The step row is the timed run's time over its batches. A warm-up of ${plan.mlp.warmupBatches} batches precedes the timed run; ${
      plan.mlp.batches !== undefined
        ? `${plan.mlp.batches} batches are timed per framework and extrapolated to an epoch (--batches).`
        : `a framework whose second (warm) ${plan.mlp.warmupBatches} batches predict an epoch over ${plan.mlp.maxEpochSeconds} s is timed for about ${plan.mlp.slowBudgetSeconds} s of batches and extrapolated (footnoted).`
    } ${
      plan.mlp.processes > 1
        ? `Each framework's warm-up and epoch run in ${plan.mlp.processes} fresh processes (a cold JIT and heap, as a user's first epoch; nothing else in the process), and the rows give the median epoch's run, all epochs footnoted; a framework whose first process failed, or extrapolated its epoch from the time budget (a slow peer), runs once.`
        : "Every framework runs in the bench's own process, one after another."
    }`,
    `MLP peak RSS: the MLP's warm-up and timed run at batch ${plan.mlp.batchSizes[0]}, as above, each framework in a child process of its own (one process's peak would be the largest framework's); the peak is the child's getrusage ru_maxrss, including Node, the bench's code and the MNIST arrays every child loads first (footnoted); "peer / tsdl" above 1 means tsdl used less.`,
    `matmul: float32, square, inputs uniform in [-1, 1); median of up to ${plan.matmul.maxRuns} runs after a warm-up, each synced by reading the result; GFLOP/s = 2n³ / t. A run computes several independent products and reads the last back, and t is the run's time over their count (the read-back is amortised, not left out): ${plan.matmulReps.gpu} on WebGPU (the read-back is 64 MiB at n=4096); on the CPU the fewest that reach 2^${Math.log2(plan.matmulCpuRunFlops)} flops (${plan.matmulSizes.cpu.map((n) => `${productsPerRun(plan, 'cpu', n)} at n=${n}`).join(', ')}).`,
    `matmul transposes: float32 n×n A·B, Aᵀ·B, A·Bᵀ, Aᵀ·Bᵀ on the same A and B (tsdl: matmul of .transpose() views on the CPU backend; TF.js: matMul's transposeA/transposeB flags; jax-js: .transpose() then matmul); median of up to ${plan.matmulTransposes.policy.maxRuns} synced runs after a warm-up; "1.03× A·B" is a combination's time over the same framework's plain A·B (issue 5 asks tsdl for at most 1.15).`,
    `CNN: the apps/mnist-cnn convnet (Conv2D 32 3×3 relu, MaxPool 2, Conv2D 64 3×3 relu, MaxPool 2, Flatten, Dense 128 relu, Dense 10 softmax), one Adam step per call, median over steps after a warm-up step.`,
    `LSTM: Embedding(${plan.lstm.vocab}, ${plan.lstm.embed}) → LSTM(${plan.lstm.units}) → Dense(1, sigmoid), binary cross-entropy, Adam (lr 1e-3, eps 1e-7), batch ${plan.lstm.batchSize} of ${plan.lstm.seqLen} seeded random tokens with random 0/1 targets, the same initial weights everywhere; tsdl via @tsdl/keras (Sequential with its LSTM layer) and TF.js via tfjs-layers (gates set to sigmoid, as Keras 2), one model.trainOnBatch a step (it reads the loss back), PyTorch via nn.Embedding/nn.LSTM/nn.Linear with BCEWithLogitsLoss in a child process (scripts/lstm_torch.py; zero_grad, forward, backward, step, loss.item()); median over steps after a warm-up step.${plan.lstm.profile ? " --profile: tsdl's step again, as trainOnBatch runs it but split into forward + loss, backward and optimizer, each synced by a one-number read, with its calls into the backend per step by method (kernels, uploads, reads; their time on the CPU); PyTorch's phases likewise." : ''}`,
    `transformer: the apps/char-gpt GPT (${plan.transformer.nLayer} pre-norm blocks, ${plan.transformer.nHead} heads, embedding ${plan.transformer.nEmbd}, context ${plan.transformer.blockSize}, no biases, logits tied to the token embedding, exact GELU), mean cross-entropy on batch ${plan.transformer.batchSize} of seeded random tokens (vocab ${plan.transformer.vocab}), gradient norm clipped to 1, AdamW (lr 1e-3, betas 0.9/0.99, eps 1e-8, weight decay 0.1 on rank ≥ 2) at a constant lr; the same seeded initial weights everywhere. tsdl: the app's model builder, clipGradNormAsync (reads the norm back) and AdamW over two groups; TF.js: the same GPT in tf ops with tf.variableGrads, clipping and AdamW by hand; PyTorch in a child process (scripts/transformer_torch.py) with tsdl's CPU thread count. One step ends with the loss read back; median over steps after a warm-up step.`,
    `small ops: ${plan.smallOps.steps} × x = x.add(1).mul(0.5) on a float32 vector (inside tidy for tsdl and TF.js; jax-js frees as it goes), synced by reading the result; the median chain time over its ${2 * plan.smallOps.steps} ops, of up to ${plan.smallOps.policy.maxRuns} runs after a warm-up: per-op framework overhead. jax-js eager may defer and fuse until the read; its jit row compiles blocks of 50 steps, for reference.`,
  ];
  if (plan.quick)
    lines.unshift('QUICK RUN (--quick): tiny sizes, a smoke test of the harness; these numbers measure nothing.');
  return lines;
}

export function formatReport(
  header: string[],
  plan: Plan,
  rows: Row[],
  checks: Check[],
  frameworks: readonly Framework[],
): string {
  return [
    ...header,
    '',
    formatTable(rows, frameworks),
    '',
    ...methodLines(plan),
    '',
    'checks (the frameworks computed the same thing):',
    formatChecks(checks, frameworks),
  ].join('\n');
}
