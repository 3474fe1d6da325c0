import { DataFormatError } from '@tsdl/tensor';
import { checkFunctionalConfig } from '../models/functional-config';

/**
 * Checks the structure of a saved config.json before any layer is made, so a
 * damaged file (`layers: 5`, `layers[0]: null`, a shape of strings) is one
 * DataFormatError naming the file and the field, not a TypeError from deep
 * inside a constructor. Values a layer checks itself (units, activation
 * names) are left to the layer; weight sizes are checked against the weights
 * file while the model is built (weight-plan.ts).
 */

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

class Checker {
  constructor(readonly source: string) {}

  fail(field: string, expected: string, got: unknown): never {
    throw new DataFormatError(`${this.source}: ${field} must be ${expected}, got ${show(got)}`);
  }

  object(v: unknown, field: string): Record<string, unknown> {
    if (!isObject(v)) this.fail(field, 'an object', v);
    return v;
  }

  string(v: unknown, field: string): string {
    if (typeof v !== 'string') this.fail(field, 'a string', v);
    return v;
  }

  optionalString(v: unknown, field: string): void {
    if (v !== undefined && v !== null) this.string(v, field);
  }

  shape(v: unknown, field: string): void {
    if (!Array.isArray(v) || !v.every((d) => Number.isSafeInteger(d) && d > 0))
      this.fail(field, 'a list of positive integers', v);
  }

  layerEntry(v: unknown, field: string): Record<string, unknown> {
    const entry = this.object(v, field);
    this.string(entry.className, `${field}.className`);
    this.object(entry.config, `${field}.config`);
    return entry;
  }
}

/** Throws a DataFormatError naming `source` and the field unless `c` has the shape of a saved model's config.json. */
export function checkModelConfig(c: Record<string, unknown>, source: string): void {
  const ck = new Checker(source);
  const className = ck.string(c.className, 'className');
  const config = ck.object(c.config, 'config');
  ck.optionalString(config.name, 'config.name');
  if (!Array.isArray(config.layers)) ck.fail('config.layers', 'a list of layers', config.layers);
  const layers = config.layers as unknown[];
  if (className === 'Sequential') {
    layers.forEach((l, i) => ck.layerEntry(l, `config.layers[${i}]`));
    if (config.buildInputShape !== undefined && config.buildInputShape !== null)
      ck.shape(config.buildInputShape, 'config.buildInputShape');
  } else if (className === 'Functional') {
    // The current layout (inboundNodes, inputLayers, outputLayers) or the one before it (inbound, inputLayer, outputLayer).
    checkFunctionalConfig(config, source);
  } else {
    throw new DataFormatError(`${source}: unknown model class '${className}' (Sequential or Functional)`);
  }
  const compile = c.compileConfig;
  if (compile === undefined || compile === null) return;
  ck.object(compile, 'compileConfig');
  const cc = compile as Record<string, unknown>;
  // A loss (a name, or a loss object as { className, config }), or one per output: a list (null: none) or an object keyed by output name.
  const oneLoss = (v: unknown): boolean =>
    v === null || typeof v === 'string' || (isObject(v) && typeof v.className === 'string');
  const loss = cc.loss;
  if (
    loss !== undefined &&
    !oneLoss(loss) &&
    !(Array.isArray(loss) && loss.every(oneLoss)) &&
    !(isObject(loss) && Object.values(loss).every(oneLoss))
  ) {
    ck.fail('compileConfig.loss', 'a loss (a name or { className, config }), or a list or object of them', loss);
  }
  const weights = cc.lossWeights;
  const isNum = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
  if (
    weights !== undefined &&
    weights !== null &&
    !(Array.isArray(weights) && weights.every(isNum)) &&
    !(isObject(weights) && Object.values(weights).every(isNum))
  ) {
    ck.fail('compileConfig.lossWeights', 'a list or object of numbers', weights);
  }
  if (cc.metrics !== undefined && cc.metrics !== null && !Array.isArray(cc.metrics) && !isObject(cc.metrics))
    ck.fail('compileConfig.metrics', 'a list or an object', cc.metrics);
  if (typeof cc.optimizer !== 'string') {
    const opt = ck.object(cc.optimizer, 'compileConfig.optimizer');
    ck.string(opt.className, 'compileConfig.optimizer.className');
    if (opt.config !== undefined) ck.object(opt.config, 'compileConfig.optimizer.config');
  }
}
