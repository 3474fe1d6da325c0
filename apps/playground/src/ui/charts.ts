import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * Live loss and accuracy charts (uPlot). The x axis is in epochs: a batch
 * point sits at epoch + (step + 1) / steps and shows Keras' running mean over
 * the epoch so far; a validation point sits at each epoch's end.
 */
type Series = (number | null)[];

interface Chart {
  plot: uPlot;
  train: Series;
  val: Series;
}

const TRAIN = '#3563e9';
const VAL = '#e9733a';

export class TrainingCharts {
  private xs: number[] = [];
  private readonly loss: Chart;
  private readonly accuracy: Chart;
  private frame = 0;

  constructor(lossEl: HTMLElement, accuracyEl: HTMLElement) {
    this.loss = this.make(lossEl, 'Loss (cross-entropy)', 'loss', null);
    this.accuracy = this.make(accuracyEl, 'Accuracy', 'accuracy', [0, 1]);
    new ResizeObserver(() => {
      for (const [c, el] of [
        [this.loss, lossEl],
        [this.accuracy, accuracyEl],
      ] as const)
        c.plot.setSize({ width: el.clientWidth, height: 210 });
    }).observe(lossEl);
  }

  private make(el: HTMLElement, title: string, what: string, range: [number, number] | null): Chart {
    const train: Series = [];
    const val: Series = [];
    const opts: uPlot.Options = {
      title,
      width: Math.max(300, el.clientWidth),
      height: 210,
      scales: { x: { time: false }, y: range ? { range } : { auto: true } },
      series: [
        { label: 'epoch', value: (_u, v) => (v == null ? '–' : v.toFixed(2)) },
        { label: `train ${what}`, stroke: TRAIN, width: 1.5, value: (_u, v) => (v == null ? '–' : v.toFixed(4)) },
        {
          label: `val ${what}`,
          stroke: VAL,
          width: 2,
          spanGaps: true,
          points: { show: true, size: 7, fill: VAL },
          value: (_u, v) => (v == null ? '–' : v.toFixed(4)),
        },
      ],
      axes: [{ label: 'epoch' }, {}],
      legend: { live: true },
    };
    return { plot: new uPlot(opts, [[], [], []], el), train, val };
  }

  reset(): void {
    this.xs = [];
    for (const c of [this.loss, this.accuracy]) {
      c.train.length = 0;
      c.val.length = 0;
    }
    this.redraw();
  }

  addBatch(x: number, loss: number, accuracy: number): void {
    this.xs.push(x);
    this.loss.train.push(loss);
    this.loss.val.push(null);
    this.accuracy.train.push(accuracy);
    this.accuracy.val.push(null);
    this.schedule();
  }

  /** Puts the epoch's validation values at its end (the last batch point, x = epoch + 1). */
  addValidation(x: number, loss: number, accuracy: number): void {
    let i = this.xs.length - 1;
    if (i < 0 || Math.abs(this.xs[i] - x) > 1e-9) {
      this.addBatch(x, NaN, NaN);
      i = this.xs.length - 1;
      this.loss.train[i] = null;
      this.accuracy.train[i] = null;
    }
    this.loss.val[i] = loss;
    this.accuracy.val[i] = accuracy;
    this.schedule();
  }

  /** Redraws at most once per animation frame, however many points arrive. */
  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.redraw();
    });
  }

  private redraw(): void {
    for (const c of [this.loss, this.accuracy]) c.plot.setData([this.xs, c.train, c.val] as uPlot.AlignedData);
  }
}
