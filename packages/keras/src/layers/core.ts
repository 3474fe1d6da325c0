import { ArgumentError, ShapeError, type Tensor, dropout, matmul, reshape, tidy } from '@tsdl/tensor';
import { type ActivationName, activationName, getActivation } from '../activations';
import { biasRelu } from './bias-relu';
import { initializerName } from '../initializers';
import { type LayerArgs, Layer, type Shape, SymbolicTensor } from './layer';
import { camelCaseKeys } from '../config-keys';

/** The entry point of a functional model; holds the shape of one sample. */
export class InputLayer extends Layer {
  readonly shape: number[];
  constructor(args: { shape: number[]; name?: string }) {
    super({ name: args.name, inputShape: args.shape });
    this.shape = args.shape;
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
    throw new ArgumentError(`Input: shape must be a list of positive integers (without the batch dimension), got ${JSON.stringify(args?.shape)}`);
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
    const a: DenseArgs = typeof args === 'number' ? { units: args } : camelCaseKeys(args);
    super(a);
    if (!Number.isInteger(a.units) || a.units <= 0) throw new ArgumentError(`Dense: units must be a positive integer, got ${a.units}`);
    this.units = a.units;
    this.activation = activationName(a.activation);
    this.useBias = a.useBias ?? true;
    this.kernelInit = a.kernelInitializer ?? 'glorot_uniform';
    this.biasInit = a.biasInitializer ?? 'zeros';
    // Unknown names fail here, as in Keras, not at the first call.
    initializerName(this.kernelInit);
    initializerName(this.biasInit);
    this.seed = a.seed;
    if (a.inputShape) this.build([null, ...a.inputShape]);
  }

  override get className(): string {
    return 'Dense';
  }

  override build(inputShape: Shape): void {
    const inDim = inputShape[inputShape.length - 1];
    if (inputShape.length < 2 || inDim === null) {
      throw new ShapeError(`${this.name} (Dense): needs a known last dimension, got input shape (${inputShape.join(', ')})`);
    }
    this.kernel = this.addWeight('kernel', [inDim, this.units], this.kernelInit, { seed: this.seed });
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], this.biasInit);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape): Shape {
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
      throw new ShapeError(`${this.name} (Dense): expected inputs whose last dimension is ${inDim}, got shape [${x.shape.join(',')}]`);
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
  constructor(args: LayerArgs = {}) {
    super(camelCaseKeys(args));
    this.built = true;
  }
  override get className(): string {
    return 'Flatten';
  }
  override computeOutputShape(inputShape: Shape): Shape {
    const rest = inputShape.slice(1);
    return [inputShape[0], rest.some((d) => d === null) ? null : (rest as number[]).reduce((a, b) => a * b, 1)];
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
    const a: DropoutArgs = typeof args === 'number' ? { rate: args } : camelCaseKeys(args);
    super(a);
    if (!(a.rate >= 0 && a.rate < 1)) throw new ArgumentError(`Dropout: rate must be in [0, 1), got ${a.rate}`);
    this.rate = a.rate;
    this.seedArg = a.seed;
    this.nextSeed = a.seed;
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
    const a = typeof args === 'string' ? { activation: args } : camelCaseKeys(args);
    super(a);
    this.activation = activationName(a.activation);
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
    const a = Array.isArray(args) ? { targetShape: args } : camelCaseKeys(args);
    super(a);
    this.targetShape = a.targetShape;
    this.built = true;
  }
  override get className(): string {
    return 'Reshape';
  }
  override computeOutputShape(inputShape: Shape): Shape {
    const known = inputShape.slice(1);
    const total = known.some((d) => d === null) ? null : (known as number[]).reduce((a, b) => a * b, 1);
    const fixed = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const out = this.targetShape.map((d) => (d === -1 ? (total === null ? null : total / fixed) : d));
    if (total !== null && !this.targetShape.includes(-1) && fixed !== total) {
      throw new ShapeError(`${this.name} (Reshape): cannot reshape samples of ${total} values into [${this.targetShape.join(',')}]`);
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
