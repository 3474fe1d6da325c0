import { ArgumentError } from '@tsdl/tensor';
import { camelCaseKeys } from '../config-keys';
import { lookupName, nameTable, quote } from '../names';
import { CosineDecay, type CosineDecayArgs } from './cosine-decay';
import { CosineDecayRestarts, type CosineDecayRestartsArgs } from './cosine-decay-restarts';
import { ExponentialDecay, type ExponentialDecayArgs } from './exponential-decay';
import { InverseTimeDecay, type InverseTimeDecayArgs } from './inverse-time-decay';
import { LearningRateSchedule } from './learning-rate-schedule';
import { PiecewiseConstantDecay, type PiecewiseConstantDecayArgs } from './piecewise-constant-decay';
import { PolynomialDecay, type PolynomialDecayArgs } from './polynomial-decay';

export {
  LearningRateSchedule,
  CosineDecay,
  CosineDecayRestarts,
  ExponentialDecay,
  InverseTimeDecay,
  PiecewiseConstantDecay,
  PolynomialDecay,
};
export type {
  CosineDecayArgs,
  CosineDecayRestartsArgs,
  ExponentialDecayArgs,
  InverseTimeDecayArgs,
  PiecewiseConstantDecayArgs,
  PolynomialDecayArgs,
};

/** A schedule as a config stores it (Keras' serialize without its module and registered_name). */
export interface SerializedSchedule {
  className: string;
  config: Record<string, unknown>;
}

const BY_NAME = nameTable<new (c: never) => LearningRateSchedule>({
  ExponentialDecay,
  PiecewiseConstantDecay,
  PolynomialDecay,
  InverseTimeDecay,
  CosineDecay,
  CosineDecayRestarts,
});

/** keras.optimizers.schedules.serialize: `{ className, config }`. */
export function serializeSchedule(s: LearningRateSchedule): SerializedSchedule {
  return { className: s.className, config: s.getConfig() };
}

/**
 * keras.optimizers.schedules.deserialize: a schedule from `{ className, config }`,
 * or from Keras' own form `{ module, class_name, config, registered_name }`.
 */
export function deserializeSchedule(spec: unknown, owner = 'deserializeSchedule'): LearningRateSchedule {
  if (spec instanceof LearningRateSchedule) return spec;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
    throw new ArgumentError(`${owner}: a learning-rate schedule must be { className, config }, got ${quote(spec)}`);
  const s = camelCaseKeys(spec as Record<string, unknown>, owner);
  for (const k of Object.keys(s)) {
    if (!['className', 'config', 'module', 'registeredName'].includes(k))
      throw new ArgumentError(`${owner}: unknown key '${k}' in a learning-rate schedule (known: className, config)`);
  }
  const { value: Ctor } = lookupName(owner, 'learning-rate schedule', s.className, BY_NAME, { option: 'className' });
  return new Ctor((s.config ?? {}) as never);
}

/** Keras-style constructors: `optimizers.schedules.CosineDecay({ initialLearningRate: 0, decaySteps: 900, warmupTarget: 1e-3, warmupSteps: 100 })`. */
export const schedules = {
  ExponentialDecay: (a: ExponentialDecayArgs) => new ExponentialDecay(a),
  PiecewiseConstantDecay: (a: PiecewiseConstantDecayArgs) => new PiecewiseConstantDecay(a),
  PolynomialDecay: (a: PolynomialDecayArgs) => new PolynomialDecay(a),
  InverseTimeDecay: (a: InverseTimeDecayArgs) => new InverseTimeDecay(a),
  CosineDecay: (a: CosineDecayArgs) => new CosineDecay(a),
  CosineDecayRestarts: (a: CosineDecayRestartsArgs) => new CosineDecayRestarts(a),
  serialize: serializeSchedule,
  deserialize: (spec: unknown) => deserializeSchedule(spec),
};
