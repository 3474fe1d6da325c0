import { type Layer, type PartialShape, fmtKerasShape } from '../layers/layer';

/** One row of a summary: a layer, its output shape and its parameter count. */
export interface SummaryRow {
  layer: Layer;
  /** 'multiple': a layer applied at several nodes with different output shapes (as Keras prints it). */
  outputShape: PartialShape | 'multiple';
  /** The row's inputs as Keras names them ('dense[0][0]'): present for a model that is not a chain of layers. */
  connectedTo?: string[];
}

const fmtInt = (n: number): string => n.toLocaleString('en-US');

/**
 * One table row as Keras' print_row lays it out: the first column indented by
 * a space, each cell cut to its column (less 2 spaces of gap) and the rest
 * wrapped onto continuation lines, breaking early after '),' and the like.
 */
function rowLines(cells: string[], stops: number[]): string[] {
  const left = [...cells];
  const out: string[] = [];
  while (left.some((c) => c.length > 0)) {
    let line = '';
    left.forEach((cell, col) => {
      const space = col !== stops.length - 1 ? 2 : 0;
      let cutoff = stops[col] - (col > 0 ? stops[col - 1] : 0) - space;
      let fit = cell.slice(0, cutoff);
      const breaks = ['),', '},', '],', "',"].filter((b) => fit.includes(b)).map((b) => fit.indexOf(b) + b.length);
      if (breaks.length > 0) {
        cutoff = Math.min(...breaks);
        fit = fit.slice(0, cutoff);
      }
      line += `${col === 0 ? ' ' : ''}${fit}${' '.repeat(space)}`;
      left[col] = cell.slice(cutoff);
      line = line.padEnd(stops[col]);
    });
    out.push(line.trimEnd());
  }
  return out;
}

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
  const headers = functional
    ? ['Layer (type)', 'Output Shape', 'Param #', 'Connected to']
    : ['Layer (type)', 'Output Shape', 'Param #'];
  const lines = [`Model: "${modelName}"`, '_'.repeat(lineLength), ...rowLines(headers, stops), '='.repeat(lineLength)];
  let trainable = 0;
  let nonTrainable = 0;
  rows.forEach((r, i) => {
    let params = 0;
    for (const [, w] of r.layer.namedWeights()) {
      params += w.size;
      if (w.requiresGrad) trainable += w.size;
      else nonTrainable += w.size;
    }
    const cells = [
      `${r.layer.name} (${r.layer.className})`,
      r.outputShape === 'multiple' ? 'multiple' : fmtKerasShape(r.outputShape),
      String(params),
    ];
    // Keras 2 prints the list as Python does: ['input_1[0][0]', 'dense[0][0]'] (wrapped after each ',').
    if (functional) cells.push(`[${(r.connectedTo ?? []).map((c) => `'${c}'`).join(', ')}]`);
    lines.push(...rowLines(cells, stops));
    lines.push(i === rows.length - 1 ? '='.repeat(lineLength) : '');
  });
  if (rows.length === 0) lines.push('='.repeat(lineLength));
  lines.push(`Total params: ${fmtInt(trainable + nonTrainable)}`);
  lines.push(`Trainable params: ${fmtInt(trainable)}`);
  lines.push(`Non-trainable params: ${fmtInt(nonTrainable)}`);
  lines.push('_'.repeat(lineLength));
  return lines.join('\n');
}
