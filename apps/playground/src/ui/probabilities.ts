/**
 * The ten class probabilities as horizontal bars, the likeliest highlighted.
 * `data-updates` on the container counts redraws (the end-to-end test reads
 * it to see that a drawing reached the model and came back).
 */
export class ProbabilityBars {
  private readonly rows: { row: HTMLElement; bar: HTMLElement; value: HTMLElement }[] = [];
  private updates = 0;

  constructor(
    private readonly el: HTMLElement,
    private readonly guess: HTMLElement,
  ) {
    for (let k = 0; k < 10; k++) {
      const row = document.createElement('div');
      row.className = 'prob-row';
      row.dataset.digit = String(k);
      row.innerHTML = `<span>${k}</span><div class="prob-track"><div class="prob-bar"></div></div><span class="prob-value">–</span>`;
      el.append(row);
      this.rows.push({ row, bar: row.querySelector('.prob-bar')!, value: row.querySelector('.prob-value')! });
    }
  }

  show(probabilities: number[]): void {
    let best = 0;
    probabilities.forEach((p, k) => {
      if (p > probabilities[best]) best = k;
      const r = this.rows[k];
      r.bar.style.width = `${(p * 100).toFixed(1)}%`;
      r.value.textContent = `${(p * 100).toFixed(1)}%`;
      r.row.dataset.p = String(p);
    });
    this.rows.forEach((r, k) => r.row.classList.toggle('best', k === best));
    this.guess.textContent = String(best);
    this.guess.dataset.class = String(best);
    this.el.dataset.updates = String(++this.updates);
  }

  clear(): void {
    for (const r of this.rows) {
      r.bar.style.width = '0';
      r.value.textContent = '–';
      r.row.classList.remove('best');
      delete r.row.dataset.p;
    }
    this.guess.textContent = '–';
    this.guess.dataset.class = '';
  }
}
