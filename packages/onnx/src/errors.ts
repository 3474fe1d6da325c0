import { DataFormatError } from '@tsdl/tensor';

/** One thing a graph uses that tsdl cannot run: an operator, or a feature of one. */
export interface UnsupportedUse {
  /** 'Conv', 'com.microsoft.FusedGemm', 'LSTM with activations [Relu, ...]' … */
  what: string;
  /** The nodes that use it (their names, or their first outputs where unnamed). */
  nodes: string[];
}

/**
 * A model that uses operators (or attributes of them) tsdl does not implement.
 * Thrown once per model by loadOnnx, listing every one, so a user sees the whole
 * gap at once rather than one operator per attempt. A DataFormatError: the file
 * describes something tsdl cannot read.
 */
export class OnnxUnsupportedError extends DataFormatError {
  constructor(
    readonly source: string,
    readonly unsupported: UnsupportedUse[],
  ) {
    const list = unsupported
      .map(
        (u) =>
          `${u.what} (${u.nodes.length} node${u.nodes.length === 1 ? '' : 's'}: ${u.nodes
            .slice(0, 3)
            .map((n) => `'${n}'`)
            .join(', ')}${u.nodes.length > 3 ? ', …' : ''})`,
      )
      .join('; ');
    super(
      `loadOnnx: ${source} uses ${unsupported.length} operator${unsupported.length === 1 ? '' : 's'} or feature${unsupported.length === 1 ? '' : 's'} tsdl does not support: ${list}`,
    );
  }

  /** The unsupported operators and features, without the node names. */
  get operators(): string[] {
    return this.unsupported.map((u) => u.what);
  }
}
