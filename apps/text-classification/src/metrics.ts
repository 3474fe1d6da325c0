import { ArgumentError } from '@tsdl/tensor';

/** Counts of a binary classifier's decisions, spam (1) being the positive class. */
export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface BinaryMetrics extends Confusion {
  accuracy: number;
  /** tp / (tp + fp): of the emails called spam, the share that is. 0 when none is called spam. */
  precision: number;
  /** tp / (tp + fn): of the spam, the share caught. 0 when there is no spam. */
  recall: number;
  /** The harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
}

/** The confusion counts of probabilities of spam thresholded at `threshold` against the labels. */
export function confusion(probabilities: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): Confusion {
  if (probabilities.length !== labels.length) {
    throw new ArgumentError(`confusion: ${probabilities.length} probabilities but ${labels.length} labels`);
  }
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new ArgumentError(`confusion: labels must be 0 or 1, got ${y} at ${i}`);
    const spam = probabilities[i] > threshold;
    if (spam && y === 1) c.tp++;
    else if (spam) c.fp++;
    else if (y === 1) c.fn++;
    else c.tn++;
  }
  return c;
}

/** Accuracy, precision, recall and F1 of the positive class from confusion counts. */
export function binaryMetrics(c: Confusion): BinaryMetrics {
  const n = c.tp + c.fp + c.tn + c.fn;
  if (n === 0) throw new ArgumentError('binaryMetrics: no samples');
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tp, c.tp + c.fn);
  return {
    ...c,
    accuracy: (c.tp + c.tn) / n,
    precision,
    recall,
    f1: ratio(2 * precision * recall, precision + recall),
  };
}
