import type { GpuCounts } from '../../frameworks/gpu';
import type { Tally } from './kernel-tally';

/** The parts of a training step the profile times apart. */
export const PHASES = ['forward', 'backward', 'optimizer'] as const;
export type Phase = (typeof PHASES)[number];

export const PHASE_LABEL: Record<Phase, string> = {
  forward: 'forward + loss',
  backward: 'backward',
  optimizer: 'optimizer (Adam, zero grad)',
};

/** One profiled step: each phase's seconds (each synced by a read), and, for tsdl, the kernels and GPU calls it made. */
export interface PhaseRun {
  seconds: Record<Phase, number>;
  kernels?: Record<Phase, Tally>;
  gpu?: Record<Phase, GpuCounts>;
}
