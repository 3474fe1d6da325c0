import { ShapeError } from '@tsdl/tensor';

/**
 * Whether a model can classify the page's digits: one 28×28 grey image per
 * sample in, ten scores (one per digit) out. The page's 784 pixels are
 * row-major, so every layout below is the same values reshaped; NCHW
 * [1, 28, 28], as torch.onnx.export writes MNIST models, matches too because
 * there is one channel.
 */

/** A declared dim: a number, a symbolic name ('batch') or unknown (null). */
export type Dim = number | string | null;

export const KERAS_LAYOUTS: readonly (readonly number[])[] = [[784], [28, 28], [28, 28, 1]];
export const ONNX_LAYOUTS: readonly (readonly number[])[] = [...KERAS_LAYOUTS, [1, 28, 28]];

export const showShape = (shape: readonly Dim[] | null): string =>
  shape === null ? '(unknown rank)' : `[${shape.map((d) => d ?? '?').join(', ')}]`;

/**
 * The per-sample shape to reshape the pixels to, from the model's declared
 * input and output shapes (batch axis first); a ShapeError naming both shapes
 * and the accepted layouts when they do not fit MNIST.
 */
export function mnistLayout(
  what: string,
  input: readonly Dim[] | null,
  output: readonly Dim[] | null,
  layouts: readonly (readonly number[])[],
): number[] {
  const sample = input?.slice(1);
  const fits = sample && layouts.find((l) => l.length === sample.length && l.every((d, i) => d === sample[i]));
  const outputFits = output !== null && output.length === 2 && output[1] === 10;
  if (!fits || !outputFits) {
    const accepted = layouts.map((l) => showShape(l)).join(', ');
    throw new ShapeError(
      `${what} takes input ${showShape(input)} and gives ${showShape(output)}; the playground needs one 28×28 grey image per sample (${accepted}, after the batch axis) and 10 outputs, one per digit`,
    );
  }
  return [...fits];
}

/** One input and one output, or a ShapeError that says how many the model has. */
export function singleInOut(what: string, inputs: number, outputs: number): void {
  if (inputs !== 1 || outputs !== 1) {
    throw new ShapeError(
      `${what} has ${inputs} input${inputs === 1 ? '' : 's'} and ${outputs} output${outputs === 1 ? '' : 's'}; the playground needs one image input and one output of 10 scores`,
    );
  }
}
