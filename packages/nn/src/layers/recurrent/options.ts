import { ArgumentError } from '@tsdl/tensor';

/**
 * Option checks shared by the recurrent layers and cells. A misspelt option
 * (`batch_first`, `hidden`) would otherwise be ignored silently and give a
 * model with PyTorch's defaults, so unknown names are errors.
 */

export function checkOptionNames(owner: string, options: object, known: readonly string[], where = 'options'): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(
      `${owner}: ${where} must be an object, got ${Array.isArray(options) ? 'an array' : String(options)}`,
    );
  }
  for (const k of Object.keys(options)) {
    if (!known.includes(k))
      throw new ArgumentError(`${owner}: unknown option '${k}' in ${where} (known: ${known.join(', ')})`);
  }
}

export function positiveInt(owner: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ArgumentError(`${owner}: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

export function boolOption(owner: string, name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ArgumentError(`${owner}: ${name} must be a boolean, got ${String(v)}`);
  return v;
}

export function seedOption(owner: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new ArgumentError(`${owner}: seed must be an integer, got ${String(v)}`);
  return v;
}

export type Nonlinearity = 'tanh' | 'relu';

export function nonlinearityOption(owner: string, v: unknown): Nonlinearity {
  if (v === undefined) return 'tanh';
  if (v !== 'tanh' && v !== 'relu')
    throw new ArgumentError(`${owner}: nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(v)}`);
  return v;
}
