import { ArgumentError, ShapeError, type Tensor, dropout, matmul, reshape, tidy } from '@tsdl/tensor';
import { type ActivationName, activationName, getActivation } from '../activations';
import { biasRelu } from './bias-relu';
import { initializerName } from '../initializers';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, SymbolicTensor, fmtKerasShape } from './layer';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { numberIn, optionalBool, optionalSeed, positiveInt, sampleShape } from './options';

/** The options object of a layer constructor (snake_case keys camelCased), or an ArgumentError naming the layer. */
function optionsObject<T>(layer: string, config: T, expected: string): T {
  const args = camelCaseKeys(config, layer);
  if (args === null || typeof args !== 'object' || Array.isArray(args))
    throw new ArgumentError(`${layer}: expected ${expected}, got ${quote(args)}`);
  return args;
}

/** The entry point of a functional model; holds the shape of one sample. */
export class InputLayer extends Layer {
  readonly shape: number[];
  constructor(config: { shape: number[]; name?: string }) {
    const args = optionsObject('InputLayer', config, 'an options object ({ shape, name })');
    rejectUnknownOptions('InputLayer', args, ['shape', 'name']);
    const shape = sampleShape('InputLayer', 'shape', args.shape);
    super({ name: args.name, inputShape: shape });
    this.shape = shape;
    this.built = true;
  }
  override get className(): string {
    return 'InputLayer';
  }
  override forward(x: Tensor): Tensor {
    return x;
  }
  override getConfig(): Record<string, unknown> {
    return { name: this.name, shape: this.shape };
  }
}

/** A symbolic input of a functional model: `Input({ shape: [784] })` (shape without the batch dimension). */
export function Input(args: { shape: number[]; name?: string }): SymbolicTensor {
  if (!Array.isArray(args?.shape) || !args.shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ArgumentError(
      `Input: shape must be a list of positive integers (without the batch dimension), got ${JSON.stringify(args?.shape)}`,
    );
  }
  const layer = new InputLayer(args);
  return new SymbolicTensor([null, ...args.shape], layer, []);
}

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: string;
  useBias?: boolean;
  kernelInitializer?: string;
  biasInitializer?: string;
  /** Seed for the kernel initializer. */
  seed?: number;
}

const DENSE_OPTIONS = [
  ...LAYER_OPTIONS,
  'units',
  'activation',
  'useBias',
  'kernelInitializer',
  'biasInitializer',
  'seed',
];

/** y = activation(x · kernel + bias), kernel [in, units] (Keras layout), over the last axis. */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private readonly kernelInit: string;
  private readonly biasInit: string;
  private readonly seed: number | undefined;
  kernel!: Tensor;
  bias: Tensor | null = null;

  constructor(args: DenseArgs | number) {
    const a: DenseArgs =
      typeof args === 'number'
        ? { units: args }
        : optionsObject('Dense', args, 'units or an options object ({ units, ... })');
    if (new.target === Dense) rejectUnknownOptions('Dense', a, DENSE_OPTIONS);
    super(a);
    const who = this.label;
    this.units = positiveInt(who, 'units', a.units);
    this.activation = activationName(a.activation, who);
    this.useBias = optionalBool(who, 'useBias', a.useBias, true);
    // Unknown names fail here, as in Keras, not at the first call.
    this.kernelInit = a.kernelInitializer ?? 'glorot_uniform';
    initializerName(this.kernelInit, who, 'kernelInitializer');
    this.biasInit = a.biasInitializer ?? 'zeros';
    initializerName(this.biasInit, who, 'biasInitializer');
    this.seed = optionalSeed(who, a.seed);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Dense';
  }

  override build(inputShape: PartialShape): void {
    const inDim = inputShape[inputShape.length - 1];
    if (inputShape.length < 2 || inDim === null || inDim < 1) {
      throw new ShapeError(
        `${this.label}: needs a known, positive last dimension, got input shape ${fmtKerasShape(inputShape)}`,
      );
    }
    this.kernel = this.addWeight('kernel', [inDim, this.units], this.kernelInit, { seed: this.seed });
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], this.biasInit);
    this.built = true;
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  /** x · kernel + bias, before the activation (the logits, for a softmax or sigmoid output). */
  preActivation(x: Tensor): Tensor {
    this.checkInput(x);
    return tidy(() => {
      const y = matmul(x, this.kernel);
      return this.bias ? y.add(this.bias) : y;
    });
  }

  private checkInput(x: Tensor): void {
    const inDim = this.kernel.shape[0];
    if (x.shape[x.rank - 1] !== inDim) {
      throw new ShapeError(
        `${this.name} (Dense): expected inputs whose last dimension is ${inDim}, got shape [${x.shape.join(',')}]`,
      );
    }
  }

  override forward(x: Tensor): Tensor {
    if (this.activation === 'linear') return this.preActivation(x);
    if (this.activation === 'relu' && this.bias && x.dtype === 'float32') {
      // Bias and relu in one elementwise pass over the matmul's output (see bias-relu.ts).
      this.checkInput(x);
      const bias = this.bias;
      return tidy(() => biasRelu(matmul(x, this.kernel), bias));
    }
    return tidy(() => getActivation(this.activation)(this.preActivation(x)));
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInit,
      biasInitializer: this.biasInit,
    };
  }
}

/** Flattens every axis but the batch axis. */
export class Flatten extends Layer {
  constructor(config: LayerArgs = {}) {
    const args = optionsObject('Flatten', config ?? {}, 'an options object');
    if (new.target === Flatten) rejectUnknownOptions('Flatten', args, LAYER_OPTIONS);
    super(args);
    this.built = true;
  }
  override get className(): string {
    return 'Flatten';
  }
  override computeOutputShape(inputShape: PartialShape): PartialShape {
    const rest = inputShape.slice(1);
    const n = rest.some((d) => d === null) ? null : (rest as number[]).reduce((a, b) => a * b, 1);
    if (n !== null && n < 1)
      throw new ShapeError(
        `${this.label}: input shape ${fmtKerasShape(inputShape)} has no values per sample to flatten`,
      );
    return [inputShape[0], n];
  }
  override forward(x: Tensor): Tensor {
    return reshape(x, [x.shape[0], -1]);
  }
}

export interface DropoutArgs extends LayerArgs {
  rate: number;
  seed?: number;
}

/** Drops a fraction `rate` of inputs during training (scaling the rest); identity in inference. */
export class Dropout extends Layer {
  readonly rate: number;
  private nextSeed: number | undefined;
  private readonly seedArg: number | undefined;
  constructor(args: DropoutArgs | number) {
    const a: DropoutArgs =
      typeof args === 'number'
        ? { rate: args }
        : optionsObject('Dropout', args, 'a rate or an options object ({ rate, seed })');
    if (new.target === Dropout) rejectUnknownOptions('Dropout', a, [...LAYER_OPTIONS, 'rate', 'seed']);
    super(a);
    this.rate = numberIn(this.label, 'rate', a.rate, 0, 1, true);
    this.seedArg = optionalSeed(this.label, a.seed);
    this.nextSeed = this.seedArg;
    this.built = true;
  }
  override get className(): string {
    return 'Dropout';
  }
  override forward(x: Tensor): Tensor {
    if (!this.training || this.rate === 0) return x;
    const seed = this.nextSeed;
    if (seed !== undefined) this.nextSeed = seed + 1;
    return dropout(x, this.rate, { seed });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, ...(this.seedArg === undefined ? {} : { seed: this.seedArg }) };
  }
}

/** Applies an activation function by name. */
export class Activation extends Layer {
  readonly activation: ActivationName;
  constructor(args: (LayerArgs & { activation: string }) | string) {
    const a =
      typeof args === 'string'
        ? { activation: args }
        : optionsObject('Activation', args, 'an activation name or an options object ({ activation })');
    if (new.target === Activation) rejectUnknownOptions('Activation', a, [...LAYER_OPTIONS, 'activation']);
    super(a);
    // Required, as in Keras: an Activation layer without one is a mistake, not the identity.
    if (a.activation === undefined || a.activation === null)
      throw new ArgumentError(`${this.label}: activation is required`);
    this.activation = activationName(a.activation, this.label);
    this.built = true;
  }
  override get className(): string {
    return 'Activation';
  }
  /** The input itself: what this layer's activation is applied to. */
  preActivation(x: Tensor): Tensor {
    return x;
  }
  override forward(x: Tensor): Tensor {
    return getActivation(this.activation)(x);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: this.activation };
  }
}

/** Reshapes each sample to `targetShape` (one dimension may be -1). */
export class Reshape extends Layer {
  readonly targetShape: number[];
  constructor(args: (LayerArgs & { targetShape: number[] }) | number[]) {
    const a = Array.isArray(args)
      ? { targetShape: args }
      : optionsObject('Reshape', args, 'a target shape or an options object ({ targetShape })');
    if (new.target === Reshape) rejectUnknownOptions('Reshape', a, [...LAYER_OPTIONS, 'targetShape']);
    super(a);
    const t: unknown = a.targetShape;
    if (
      !Array.isArray(t) ||
      !t.every((d) => d === -1 || (typeof d === 'number' && Number.isSafeInteger(d) && d > 0)) ||
      t.filter((d) => d === -1).length > 1
    ) {
      throw new ArgumentError(
        `${this.label}: targetShape must be a list of positive integers with at most one -1 (without the batch dimension), got ${quote(t)}`,
      );
    }
    this.targetShape = [...t];
    this.built = true;
  }
  override get className(): string {
    return 'Reshape';
  }
  override computeOutputShape(inputShape: PartialShape): PartialShape {
    const known = inputShape.slice(1);
    const total = known.some((d) => d === null) ? null : (known as number[]).reduce((a, b) => a * b, 1);
    const fixed = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const out = this.targetShape.map((d) => (d === -1 ? (total === null ? null : total / fixed) : d));
    // With a -1 the samples must split into whole, non-empty rows of the fixed dimensions.
    if (total !== null && (this.targetShape.includes(-1) ? total < fixed || total % fixed !== 0 : fixed !== total)) {
      throw new ShapeError(
        `${this.label}: cannot reshape samples of ${total} values into [${this.targetShape.join(',')}]`,
      );
    }
    return [inputShape[0], ...out];
  }
  override forward(x: Tensor): Tensor {
    return reshape(x, [x.shape[0], ...this.targetShape]);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), targetShape: this.targetShape };
  }
}
