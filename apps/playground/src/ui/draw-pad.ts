/**
 * A canvas to draw on with a mouse, a pen or a finger (pointer events, with
 * the pointer captured so a stroke may leave the canvas). Strokes are black
 * on a transparent page; `ink()` reads them back as 0..1 per pixel.
 */
export class DrawPad {
  private readonly ctx: CanvasRenderingContext2D;
  private last: { x: number; y: number } | null = null;
  private active: number | null = null;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onChange: () => void,
    /** Stroke width as a fraction of the canvas side (MNIST strokes are about 1/10 of the digit's box). */
    lineFraction = 0.075,
  ) {
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.ctx.lineCap = 'round';
    this.ctx.lineJoin = 'round';
    this.ctx.strokeStyle = '#000';
    this.ctx.fillStyle = '#000';
    this.ctx.lineWidth = canvas.width * lineFraction;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
  }

  /** The pointer's position in canvas pixels (the canvas is shown scaled by CSS). */
  private point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left) / r.width) * this.canvas.width,
      y: ((e.clientY - r.top) / r.height) * this.canvas.height,
    };
  }

  private down(e: PointerEvent): void {
    if (this.active !== null) return;
    e.preventDefault();
    this.active = e.pointerId;
    this.canvas.setPointerCapture(e.pointerId);
    const p = this.point(e);
    this.ctx.beginPath();
    this.ctx.arc(p.x, p.y, this.ctx.lineWidth / 2, 0, 2 * Math.PI);
    this.ctx.fill();
    this.last = p;
    this.onChange();
  }

  private move(e: PointerEvent): void {
    if (e.pointerId !== this.active || !this.last) return;
    e.preventDefault();
    // Coalesced events keep fast strokes smooth where the browser offers them.
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    this.ctx.beginPath();
    this.ctx.moveTo(this.last.x, this.last.y);
    for (const ev of events.length ? events : [e]) {
      const p = this.point(ev);
      this.ctx.lineTo(p.x, p.y);
      this.last = p;
    }
    this.ctx.stroke();
    this.onChange();
  }

  private up(e: PointerEvent): void {
    if (e.pointerId !== this.active) return;
    this.active = null;
    this.last = null;
    this.onChange();
  }

  clear(): void {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.onChange();
  }

  /** The drawing as ink amounts in [0, 1] (the alpha channel), row-major. */
  ink(): { ink: Float32Array; width: number; height: number } {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[i * 4 + 3] / 255;
    return { ink, width, height };
  }
}
