import { ArgumentError } from '@tsdl/tensor';
import type { PartialShape } from '../layers/layer';
import { type LossSpec, resolveLoss, serializeLoss } from '../losses';
import { type MetricSpec, resolveMetric } from '../metrics';
import { describeValue } from './options';

/** One loss as compile takes it (a name, a function …). */
export type LossArg = Parameters<typeof resolveLoss>[0];
/** compile's loss: one for every output, or one per output (a list in output order, or an object keyed by output name; null: no loss). */
export type LossesArg = LossArg | readonly (LossArg | null)[] | { readonly [output: string]: LossArg | null };
/** compile's metrics: a list for every output, or per output (a list of lists, or an object keyed by output name). */
export type MetricsArg =
  | readonly string[]
  | readonly (string | readonly string[] | null)[]
  | { readonly [output: string]: string | readonly string[] };
/** compile's lossWeights: the factor of each output's loss in the total (a list in output order, or an object keyed by output name; default 1). */
export type LossWeightsArg = readonly number[] | { readonly [output: string]: number };

/** What compile settled for one output of the model. */
export interface OutputSpec {
  /** The output's name: its layer's name. */
  readonly name: string;
  /** null: the output has no loss (it is predicted, not trained on). */
  readonly loss: LossSpec | null;
  readonly weight: number;
  readonly metricArgs: readonly string[];
  /** Resolved once the output's shape is known (accuracy's variant depends on it). */
  metrics: MetricSpec[];
}

/** An object literal keyed by output names (not a loss object of a class, nor an array). */
const isByName = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** `value` spread over the outputs `names`: an object by name (missing: `missing`), a list in order, or one value for all. */
function perOutput<T>(
  who: string,
  option: string,
  value: unknown,
  names: readonly string[],
  missing: T | undefined,
  isList: (v: unknown[]) => boolean,
): unknown[] {
  if (isByName(value)) {
    for (const k of Object.keys(value)) {
      if (!names.includes(k))
        throw new ArgumentError(
          `${who}: ${option} has an entry '${k}', but the model's outputs are ${names.map((n) => `'${n}'`).join(', ')}`,
        );
    }
    return names.map((n) => (n in value ? value[n] : missing));
  }
  if (Array.isArray(value) && isList(value)) {
    if (value.length !== names.length) {
      throw new ArgumentError(
        `${who}: ${option} lists ${value.length} entries, but the model has ${names.length} output(s) (${names.join(', ')}); give one per output or an object keyed by output name`,
      );
    }
    return [...value];
  }
  return names.map(() => value);
}

/**
 * Each output's loss, loss weight and metrics from compile's arguments, checked: names that
 * are no output and lists of the wrong length are ArgumentErrors naming the option. As Keras,
 * one loss or one flat list of metrics applies to every output.
 */
export function outputSpecs(
  who: string,
  names: readonly string[],
  loss: unknown,
  lossWeights: unknown,
  metrics: unknown,
): OutputSpec[] {
  // A saved loss object ({ className, config }) is one loss, not an object keyed by output name.
  const losses = isSavedLoss(loss, names)
    ? names.map(() => loss)
    : perOutput(who, 'loss', loss, names, null, () => true);
  const weights =
    lossWeights === undefined || lossWeights === null
      ? names.map(() => 1)
      : perOutput(who, 'lossWeights', lossWeights, names, 1, () => true);
  if (lossWeights !== undefined && lossWeights !== null && !isByName(lossWeights) && !Array.isArray(lossWeights)) {
    throw new ArgumentError(
      `${who}: lossWeights must be a list of numbers (one per output) or an object keyed by output name, got ${describeValue(lossWeights)}`,
    );
  }
  // A list of metrics is per output when it holds lists (or nulls); otherwise every output gets all of them.
  const perOutputList = (v: unknown[]): boolean => v.some((m) => Array.isArray(m) || m === null);
  const metricLists =
    metrics === undefined || metrics === null
      ? names.map(() => [])
      : perOutput(who, 'metrics', metrics, names, [], perOutputList);
  if (metrics !== undefined && metrics !== null && !Array.isArray(metrics) && !isByName(metrics)) {
    throw new ArgumentError(
      `${who}: metrics must be a list (of names, or of lists per output) or an object keyed by output name, got ${describeValue(metrics)}`,
    );
  }
  const specs = names.map((name, i): OutputSpec => {
    const w = weights[i];
    if (typeof w !== 'number' || !Number.isFinite(w))
      throw new ArgumentError(`${who}: lossWeights for '${name}' must be a finite number, got ${describeValue(w)}`);
    const l = losses[i];
    const m = metricLists[i];
    const list = m === null || m === undefined ? [] : Array.isArray(m) ? [...m] : [m];
    return {
      name,
      loss: l === null || l === undefined ? null : resolveLoss(l as LossArg),
      weight: w,
      metricArgs: list as string[],
      metrics: [],
    };
  });
  if (specs.every((s) => s.loss === null))
    throw new ArgumentError(`${who}: compile needs a loss for at least one output`);
  return specs;
}

/** Resolves each output's metrics for its shape (accuracy picks its variant from the loss and the shape). */
export function resolveOutputMetrics(specs: OutputSpec[], shapes: readonly PartialShape[]): void {
  specs.forEach((s, i) => {
    s.metrics = s.metricArgs.map((m) => resolveMetric(m, s.loss ?? '', shapes[i]));
  });
}

/**
 * The names of the running values, in the order the steps return them. One output: 'loss'
 * and the metrics ('accuracy'). Several, as Keras 3: 'loss' (the weighted total), then each
 * output's weighted loss ('<output>_loss'), then its metrics ('<output>_accuracy').
 */
export function logNames(specs: readonly OutputSpec[]): string[] {
  if (specs.length === 1) return ['loss', ...specs[0].metrics.map((m) => m.name)];
  return [
    'loss',
    ...specs.filter((s) => s.loss !== null).map((s) => `${s.name}_loss`),
    ...specs.flatMap((s) => s.metrics.map((m) => `${s.name}_${m.name}`)),
  ];
}

/** A loss as saved ({ className, config }), unless 'className' is an output's name. */
const isSavedLoss = (v: unknown, names: readonly string[]): boolean =>
  isByName(v) && typeof v.className === 'string' && !names.includes('className');

/**
 * compile's loss as JSON for a saved model's compileConfig (names, loss objects as
 * { className, config }; per output as a list or an object), or null when one of them
 * cannot be saved (a function): the model then loads uncompiled.
 */
export function lossesJson(loss: unknown, names: readonly string[]): unknown {
  const one = (l: unknown): unknown => (l === null ? null : serializeLoss(l));
  const ok = (l: unknown): boolean => l === null || one(l) !== null;
  if (isSavedLoss(loss, names) || !(Array.isArray(loss) || isByName(loss))) return one(loss);
  if (Array.isArray(loss)) return loss.every(ok) ? loss.map(one) : null;
  const entries = Object.entries(loss as Record<string, unknown>);
  return entries.every(([, l]) => ok(l)) ? Object.fromEntries(entries.map(([k, l]) => [k, one(l)])) : null;
}
