import { noGrad } from '@tsdl/autograd';
import { ArgumentError, ShapeError, Tensor, tidy, zeros } from '@tsdl/tensor';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { layerOptions } from './layer-config';

/** The function of a Lambda layer: the input, and the layer's `arguments` (Keras' keyword arguments). */
export type LambdaFunction = (x: Tensor, args: Record<string, unknown>) => Tensor;

export interface LambdaArgs extends LayerArgs {
  function: LambdaFunction;
  /** The output shape without the batch axis, or a function of the input shape (batch included); inferred by a trial call when left out. */
  outputShape?: (number | null)[] | ((inputShape: PartialShape) => PartialShape);
  /** Passed to the function as its second argument (default {}). */
  arguments?: Record<string, unknown>;
}

// The batch size of the trial call that infers the output shape: > 1, so a result whose
// first axis follows it is the batch axis.
const TRIAL_BATCH = 2;

/**
 * Keras' Lambda: wraps a JavaScript function of a tensor as a layer. It works
 * in memory (fit, predict, functional models, gradients through the function),
 * but a function cannot be written to a file: saving a model that holds one
 * throws an ArgumentError (write a Layer subclass and registerLayer it instead).
 */
export class Lambda extends Layer {
  readonly fn: LambdaFunction;
  readonly outputShapeArg: (number | null)[] | ((inputShape: PartialShape) => PartialShape) | null;
  readonly arguments: Record<string, unknown>;

  constructor(config: LambdaArgs | LambdaFunction) {
    const a =
      typeof config === 'function'
        ? { function: config }
        : layerOptions(
            'Lambda',
            config,
            'a function or an options object ({ function, outputShape, arguments })',
            [...LAYER_OPTIONS, 'function', 'outputShape', 'arguments'],
            new.target === Lambda,
          );
    super(a);
    if (typeof a.function !== 'function')
      throw new ArgumentError(
        `${this.label}: function must be a JavaScript function of a tensor, got ${quote(a.function)}`,
      );
    this.fn = a.function;
    const os: unknown = (a as LambdaArgs).outputShape ?? null;
    if (
      os !== null &&
      typeof os !== 'function' &&
      !(
        Array.isArray(os) && os.every((d) => d === null || (typeof d === 'number' && Number.isSafeInteger(d) && d >= 0))
      )
    ) {
      throw new ArgumentError(
        `${this.label}: outputShape must be a list of sizes (nulls for unknown ones; batch axis excluded) or a function of the input shape, got ${quote(os)}`,
      );
    }
    this.outputShapeArg = (os ?? null) as (number | null)[] | ((inputShape: PartialShape) => PartialShape) | null;
    const args: unknown = (a as LambdaArgs).arguments ?? {};
    if (args === null || typeof args !== 'object' || Array.isArray(args))
      throw new ArgumentError(`${this.label}: arguments must be an object, got ${quote(args)}`);
    this.arguments = args as Record<string, unknown>;
    this.built = true;
  }

  override get className(): string {
    return 'Lambda';
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    const os = this.outputShapeArg;
    if (typeof os === 'function') return os(inputShape);
    if (os !== null) return [inputShape[0], ...os];
    return this.inferOutputShape(inputShape);
  }

  /** Runs the function once on zeros (batch TRIAL_BATCH, no gradient) and reads the shape of its result. */
  private inferOutputShape(inputShape: PartialShape): PartialShape {
    if (inputShape.slice(1).some((d) => d === null)) {
      throw new ShapeError(
        `${this.label}: cannot infer the output shape for input shape ${fmtKerasShape(inputShape)} (an axis besides the batch is unknown); give outputShape`,
      );
    }
    const trial = [TRIAL_BATCH, ...(inputShape.slice(1) as number[])];
    const out: unknown = tidy(() => noGrad(() => this.apply(zeros(trial)) as Tensor));
    if (!(out instanceof Tensor)) throw this.notATensor(out);
    const shape: PartialShape = [...out.shape];
    out.dispose();
    if (shape.length > 0 && shape[0] === TRIAL_BATCH) shape[0] = inputShape[0];
    return shape;
  }

  private notATensor(v: unknown): ArgumentError {
    return new ArgumentError(
      `${this.label}: the function must return a Tensor, got ${v === null ? 'null' : typeof v === 'object' ? (v.constructor?.name ?? 'an object') : quote(v)}`,
    );
  }

  override forward(x: Tensor): Tensor {
    const y: unknown = this.fn(x, { ...this.arguments });
    if (!(y instanceof Tensor)) throw this.notATensor(y);
    return y;
  }

  /** A function cannot be written to a file (Keras pickles Python bytecode, unsafe to load): saving a Lambda layer is refused. */
  override getConfig(): Record<string, unknown> {
    throw new ArgumentError(
      `${this.label}: a Lambda layer holds a JavaScript function, which cannot be serialized, so a model holding one cannot be saved; ` +
        'write the computation as a Layer subclass (forward, getConfig) and register it with registerLayer(className, cls)',
    );
  }

  /** Rebuilding from a saved config is refused too: the file cannot hold the function. */
  static fromConfig(config: Record<string, unknown>): Layer {
    const name = typeof config.name === 'string' ? ` '${config.name}'` : '';
    throw new ArgumentError(
      `a Lambda layer${name} cannot be loaded: its function (Keras saves Python bytecode) cannot run here; rebuild the model in code, or replace the Lambda by a registered custom layer (registerLayer)`,
    );
  }
}
