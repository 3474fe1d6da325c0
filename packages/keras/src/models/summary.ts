import { type Layer, type Shape, fmtKerasShape } from '../layers/layer';

/** One row of a summary: a layer, its output shape and its parameter count. */
export interface SummaryRow {
  layer: Layer;
  outputShape: Shape;
  connectedTo?: string[];
}

const fmtInt = (n: number): string => n.toLocaleString('en-US');

/**
 * A Keras-style summary table:
 *
 *   Model: "sequential"
 *   _________________________________________________________________
 *    Layer (type)                Output Shape              Param #
 *   =================================================================
 *    dense (Dense)               (None, 128)               100480
 *   ...
 */
export function formatSummary(modelName: string, rows: SummaryRow[], width?: number): string {
  const functional = rows.some((r) => r.connectedTo !== undefined);
  // Keras' widths: 65 columns for a chain of layers, 98 with a 'Connected to' column.
  const lineLength = width ?? (functional ? 98 : 65);
  const cols = functional ? [0.33, 0.55, 0.67, 1] : [0.45, 0.85, 1];
  const stops = cols.map((c) => Math.floor(c * lineLength));
  const headers = functional ? ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'] : ['Layer (type)', 'Output Shape', 'Param #'];
  const line = (cells: string[]): string => {
    let out = '';
    cells.forEach((c, i) => {
      out = `${out}${c}`.slice(0, stops[i] - 1);
      out = out.padEnd(stops[i]);
    });
    return out.trimEnd();
  };
  const lines = [`Model: "${modelName}"`, '_'.repeat(lineLength), line(headers.map((h, i) => (i === 0 ? ` ${h}` : h))), '='.repeat(lineLength)];
  let trainable = 0;
  let nonTrainable = 0;
  rows.forEach((r, i) => {
    let params = 0;
    for (const [, w] of r.layer.namedWeights()) {
      params += w.size;
      if (w.requiresGrad) trainable += w.size;
      else nonTrainable += w.size;
    }
    // As Keras: only the first column is indented by a space; the others start at their column stop.
    const cells = [` ${r.layer.name} (${r.layer.className})`, fmtKerasShape(r.outputShape), String(params)];
    if (functional) cells.push((r.connectedTo ?? []).join(', '));
    lines.push(line(cells));
    lines.push(i === rows.length - 1 ? '='.repeat(lineLength) : '');
  });
  if (rows.length === 0) lines.push('='.repeat(lineLength));
  lines.push(`Total params: ${fmtInt(trainable + nonTrainable)}`);
  lines.push(`Trainable params: ${fmtInt(trainable)}`);
  lines.push(`Non-trainable params: ${fmtInt(nonTrainable)}`);
  lines.push('_'.repeat(lineLength));
  return lines.join('\n');
}
