import type { Mistake } from '../protocol';

/** Paints 28×28 grey levels (0..255 or 0..1 when `unit`) white on black into a 28×28 canvas. */
export function paintDigit(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, unit = false): void {
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = unit ? Math.round(Math.min(1, Math.max(0, pixels[i])) * 255) : pixels[i];
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}

/** The grid of test images the model got wrong, each with its guess and the true label. */
export function renderMistakes(grid: HTMLElement, mistakes: Mistake[]): void {
  grid.replaceChildren(
    ...mistakes.map((m) => {
      const cell = document.createElement('figure');
      cell.className = 'mistake';
      cell.style.margin = '0';
      cell.dataset.predicted = String(m.predicted);
      cell.dataset.label = String(m.label);
      const canvas = document.createElement('canvas');
      canvas.width = 28;
      canvas.height = 28;
      paintDigit(canvas, m.pixels);
      const caption = document.createElement('figcaption');
      caption.innerHTML = `<span class="pred">${m.predicted}</span> (${Math.round(m.confidence * 100)}%) · true <span class="true">${m.label}</span>`;
      cell.title = `predicted ${m.predicted} with ${(m.confidence * 100).toFixed(1)}%, labelled ${m.label}`;
      cell.append(canvas, caption);
      return cell;
    }),
  );
}
