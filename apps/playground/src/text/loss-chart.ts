import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** The training loss against the iteration (uPlot), redrawn at most once per animation frame. */
export class LossChart {
  private readonly xs: number[] = [];
  private readonly ys: number[] = [];
  private readonly plot: uPlot;
  private frame = 0;

  constructor(el: HTMLElement) {
    this.plot = new uPlot(
      {
        title: 'Training loss (cross-entropy, nats per character)',
        width: Math.max(300, el.clientWidth),
        height: 240,
        scales: { x: { time: false }, y: { auto: true } },
        series: [
          { label: 'iteration' },
          { label: 'loss', stroke: '#3563e9', width: 1.5, value: (_u, v) => (v == null ? '–' : v.toFixed(4)) },
        ],
        axes: [{ label: 'iteration' }, {}],
      },
      [[], []],
      el,
    );
    new ResizeObserver(() => this.plot.setSize({ width: el.clientWidth, height: 240 })).observe(el);
  }

  reset(): void {
    this.xs.length = 0;
    this.ys.length = 0;
    this.schedule();
  }

  add(iter: number, loss: number): void {
    this.xs.push(iter);
    this.ys.push(loss);
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.plot.setData([this.xs, this.ys]);
    });
  }
}
