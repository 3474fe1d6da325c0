import { ArgumentError, ShapeError, type Tensor, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { type ActivationName, activationName, getActivation } from '../activations';
import { quote } from '../names';
import { initializerOption } from './conv-args';
import { einsum2 } from './einsum';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { layerOptions } from './layer-config';
import { optionalSeed } from './options';

export interface EinsumDenseArgs extends LayerArgs {
  /** 'ab,bc->ac', '...b,bc->...c', 'ab...,bc->ac...': the input, the kernel and the output axes. Required. */
  equation: string;
  /** The output's shape without the batch axis and the ellipsis' axes (null for a size the input gives). Required. */
  outputShape: number | (number | null)[];
  activation?: string | null;
  /** Output axes (letters) the bias spans, or null for no bias (default). */
  biasAxes?: string | null;
  kernelInitializer?: string;
  biasInitializer?: string;
  seed?: number;
}

const OPTIONS = [
  ...LAYER_OPTIONS,
  'equation',
  'outputShape',
  'activation',
  'biasAxes',
  'kernelInitializer',
  'biasInitializer',
  'seed',
];

interface Parsed {
  input: string;
  kernel: string;
  output: string;
  /** Where '...' stands: nowhere, before the letters ('...b') or after them ('ab...'). */
  elided: 'none' | 'left' | 'right';
}

function parse(label: string, eq: unknown): Parsed {
  if (typeof eq !== 'string')
    throw new ArgumentError(`${label}: equation must be a string such as 'ab,bc->ac', got ${quote(eq)}`);
  const e = eq.replace(/\s/g, '');
  let m = /^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$/.exec(e);
  if (m) return { input: m[1], kernel: m[2], output: m[3], elided: 'none' };
  m = /^\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$/.exec(e);
  if (m) return { input: m[1], kernel: m[2], output: m[3], elided: 'left' };
  m = /^([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]{2,})\.\.\.$/.exec(e);
  if (m) return { input: m[1], kernel: m[2], output: m[3], elided: 'right' };
  throw new ArgumentError(
    `${label}: equation ${quote(eq)} is not of a form EinsumDense takes: 'ab,bc->ac', '...b,bc->...c' or 'ab...,bc->ac...'`,
  );
}

/**
 * Keras' EinsumDense: y = einsum(equation, x, kernel) (+ bias over biasAxes), activation. The
 * kernel's shape comes from the equation, the input's shape and outputShape, as Keras
 * computes it (each kernel axis sized by the input axis or the output axis of its letter);
 * the bias spans the output from its first bias axis on (1 on the axes between). Weights
 * 'kernel' and 'bias'.
 */
export class EinsumDense extends Layer {
  readonly equation: string;
  readonly partialOutputShape: (number | null)[];
  readonly activation: ActivationName;
  readonly biasAxes: string | null;
  private readonly kernelInit: string;
  private readonly biasInit: string;
  private readonly seed: number | undefined;
  private readonly spec: Parsed;
  kernel!: Tensor;
  bias: Tensor | null = null;
  /** The output shape it was built for (batch as null). */
  private fullOutputShape: PartialShape = [];

  constructor(config: EinsumDenseArgs) {
    const a = layerOptions(
      'EinsumDense',
      config,
      'an options object ({ equation, outputShape, biasAxes, ... })',
      OPTIONS,
      new.target === EinsumDense,
    );
    super(a);
    const who = this.label;
    this.spec = parse(who, a.equation);
    this.equation = a.equation;
    const os: unknown = a.outputShape;
    const dim = (d: unknown): d is number | null =>
      d === null || (typeof d === 'number' && Number.isSafeInteger(d) && d > 0);
    if (typeof os === 'number' && dim(os)) this.partialOutputShape = [os];
    else if (Array.isArray(os) && os.every(dim)) this.partialOutputShape = [...os];
    else
      throw new ArgumentError(
        `${who}: outputShape must be a positive integer or a list of positive integers and nulls (without the batch axis), got ${quote(os)}`,
      );
    this.activation = activationName(a.activation, who);
    const bias: unknown = a.biasAxes ?? null;
    if (bias !== null && (typeof bias !== 'string' || !/^[a-zA-Z]+$/.test(bias)))
      throw new ArgumentError(`${who}: biasAxes must be a string of output letters or null, got ${quote(bias)}`);
    if (typeof bias === 'string') {
      const stray = [...bias].find((c) => !this.spec.output.includes(c));
      if (stray)
        throw new ArgumentError(`${who}: bias axis '${stray}' is not part of the output spec '${this.spec.output}'`);
    }
    this.biasAxes = bias;
    this.kernelInit = initializerOption(who, 'kernelInitializer', a.kernelInitializer, 'glorot_uniform');
    this.biasInit = initializerOption(who, 'biasInitializer', a.biasInitializer, 'zeros');
    this.seed = optionalSeed(who, a.seed);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'EinsumDense';
  }

  /** Keras' _analyze_split_string: the kernel's shape, the bias' shape and the full output shape for an input shape. */
  private analyze(s: PartialShape): { kernel: number[]; bias: number[] | null; output: PartialShape } {
    const { input, kernel, output, elided: side } = this.spec;
    const shape = fmtKerasShape(s);
    const elided = s.length - input.length;
    if (elided < 0 || (side === 'none' && elided !== 0)) {
      throw new ShapeError(
        `${this.label}: input shape ${shape} has ${s.length} axes, but the equation's input '${input}' names ${input.length}${side === 'none' ? '' : ' (at least)'}`,
      );
    }
    const out: PartialShape = [s[0], ...this.partialOutputShape];
    if (elided > 0 && side === 'left') for (let i = 1; i < elided; i++) out.splice(i, 0, s[i]);
    else if (elided > 0) for (let i = s.length - elided; i < s.length; i++) out.push(s[i]);
    const inAt = new Map([...input].map((c, i) => [c, side === 'left' ? i + elided : i]));
    const outAt = new Map([...output].map((c, i) => [c, side === 'left' ? i + elided : i]));
    if (out.length !== output.length + elided) {
      throw new ShapeError(
        `${this.label}: outputShape [${this.partialOutputShape.join(', ')}] gives ${out.length - 1 - elided} axes but the equation's output '${output}' names ${output.length - 1} beside the batch`,
      );
    }
    for (const c of input) {
      const o = outAt.get(c);
      if (o === undefined) continue;
      const [want, got] = [out[o], s[inAt.get(c) as number]];
      if (want === null) out[o] = got;
      else if (got !== null && want !== got)
        throw new ShapeError(
          `${this.label}: output axis '${c}' has size ${want} in outputShape but ${got} in input shape ${shape}`,
        );
    }
    for (const c of output)
      if (!input.includes(c) && !kernel.includes(c))
        throw new ArgumentError(
          `${this.label}: output axis '${c}' is in neither the input spec '${input}' nor the kernel spec '${kernel}'`,
        );
    const k = [...kernel].map((c) => {
      const d = inAt.has(c) ? s[inAt.get(c) as number] : outAt.has(c) ? out[outAt.get(c) as number] : undefined;
      if (d === undefined)
        throw new ArgumentError(
          `${this.label}: kernel axis '${c}' is in neither the input spec '${input}' nor the output spec '${output}'; the kernel must be fully specified`,
        );
      if (d === null)
        throw new ShapeError(
          `${this.label}: kernel axis '${c}' needs a known size, got input shape ${shape} and outputShape [${this.partialOutputShape.join(', ')}]`,
        );
      return d;
    });
    let bias: number[] | null = null;
    if (this.biasAxes !== null) {
      const first = Math.min(...[...this.biasAxes].map((c) => output.indexOf(c)));
      bias = [...output.slice(first)].map((c) =>
        this.biasAxes?.includes(c) ? (out[outAt.get(c) as number] as number) : 1,
      );
      if (side === 'right') for (let i = 0; i < elided; i++) bias.push(1);
      if (bias.some((d) => d === null))
        throw new ShapeError(`${this.label}: the bias needs known sizes on axes '${this.biasAxes}'`);
    }
    return { kernel: k, bias, output: out };
  }

  override build(inputShape: PartialShape): void {
    const { kernel, bias, output } = this.analyze(inputShape);
    this.kernel = this.addWeight('kernel', kernel, this.kernelInit, { seed: this.seed });
    if (bias) this.bias = this.addWeight('bias', bias, this.biasInit);
    this.fullOutputShape = output;
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    return this.analyze(s).output;
  }

  /** The equation with '...' spelt out as letters for a rank-`rank` input. */
  private expanded(rank: number): string {
    const { input, kernel, output, elided } = this.spec;
    if (elided === 'none') return `${input},${kernel}->${output}`;
    const used = new Set(input + kernel + output);
    const spare = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ']
      .filter((c) => !used.has(c))
      .slice(0, rank - input.length)
      .join('');
    return elided === 'left'
      ? `${spare}${input},${kernel}->${spare}${output}`
      : `${input}${spare},${kernel}->${output}${spare}`;
  }

  override forward(x: Tensor): Tensor {
    const { kernel } = this.analyze([null, ...x.shape.slice(1)]);
    if (kernel.join() !== this.kernel.shape.join()) {
      throw new ShapeError(
        `${this.label}: was built for a kernel of shape ${fmtShape(this.kernel.shape)}, but an input of shape ${fmtShape(x.shape)} needs ${fmtShape(kernel)}`,
      );
    }
    return tidy(() => {
      let y = einsum2(this.label, this.expanded(x.rank), x, this.kernel);
      if (this.bias) y = y.add(this.bias);
      return this.activation === 'linear' ? y : getActivation(this.activation)(y);
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      equation: this.equation,
      outputShape: this.partialOutputShape,
      activation: this.activation,
      biasAxes: this.biasAxes,
      kernelInitializer: this.kernelInit,
      biasInitializer: this.biasInit,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}
